using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;
using Drover.Core.Threading;
using Xunit;

namespace Drover.Core.Tests.Threading;

/// <summary>The data path's async method builder: same results as any ValueTask, and no allocation once a thread's boxes are warm.</summary>
public sealed class PerThreadPoolingValueTaskMethodBuilderTests
{
    [Fact]
    public void A_method_that_completes_synchronously_returns_its_result()
    {
        var task = AddAsync(null, 2);
        Assert.True(task.IsCompletedSuccessfully);
        Assert.Equal(3, task.Result);
        Assert.True(NothingAsync(null).IsCompletedSuccessfully);
    }

    [Fact]
    public void A_suspended_method_resumes_with_what_it_awaited_and_returns_its_result() => OnPlainThread(() =>
    {
        var source = new ManualSource();
        var task = AddAsync(source, 40);
        Assert.False(task.IsCompleted);
        source.Complete(2);
        Assert.True(task.IsCompletedSuccessfully);
        Assert.Equal(43, task.Result);

        var done = NothingAsync(source);
        Assert.False(done.IsCompleted);
        source.Complete(0);
        done.GetAwaiter().GetResult();
    });

    [Fact]
    public async Task Exceptions_reach_the_awaiter_whether_thrown_before_or_after_a_suspension()
    {
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await ThrowAsync(null));
        var source = new ManualSource();
        var task = ThrowAsync(source);
        source.Complete(1);
        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(async () => await task);
        Assert.Equal("after 1", thrown.Message);

        var failing = new ManualSource();
        var awaited = AddAsync(failing, 0);
        failing.Fail(new IOException("reset"));
        await Assert.ThrowsAsync<IOException>(async () => await awaited);
    }

    [Fact]
    public async Task The_execution_context_flows_across_a_resumption_on_another_thread()
    {
        var local = new AsyncLocal<string>();
        var source = new ManualSource();
        string? seen = null;
        local.Value = "request 7";
        var task = ReadLocalAsync(source, local, value => seen = value);
        local.Value = "changed after the call";
        await Task.Run(() => source.Complete(0));
        await task;
        Assert.Equal("request 7", seen);
    }

    [Fact]
    public void A_thread_that_resumes_a_batch_of_suspended_methods_allocates_nothing_for_the_suspensions() => OnPlainThread(() =>
    {
        // The event loop's pattern: 64 connections suspended at once, their results taken in one
        // batch, their next requests started in the next, all on one thread. Compared with the same
        // calls completing synchronously (which need no box), so that a Debug build's state machine
        // classes, allocated per call either way, cancel out.
        var sources = Enumerable.Range(0, 64).Select(_ => new ManualSource()).ToArray();
        var tasks = new ValueTask<int>[sources.Length];
        var sum = 0L;
        long Rounds(int rounds, bool suspend)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var round = 0; round < rounds; round++)
            {
                if (!suspend) foreach (var source in sources) source.Complete(1);
                for (var i = 0; i < sources.Length; i++) tasks[i] = AddAsync(sources[i], i);
                if (suspend) foreach (var source in sources) source.Complete(1);
                for (var i = 0; i < tasks.Length; i++) sum += tasks[i].GetAwaiter().GetResult();
            }
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }
        Rounds(10, suspend: true);
        Rounds(10, suspend: false);
        var synchronous = Rounds(100, suspend: false);
        var suspended = Rounds(100, suspend: true);
        Assert.Equal(220L * (64 * 63 / 2 + 2 * 64), sum); // every call of the 220 rounds returned i + 2
        // 6,400 suspensions: with .NET's PoolingAsyncValueTaskMethodBuilder (one box kept per thread
        // and per core) this thread allocated 496,000 bytes more, a box for nearly every one.
        Assert.Equal(synchronous, suspended);
    });

    [Fact]
    public void More_suspended_at_once_than_a_thread_keeps_still_completes_every_one()
    {
        var count = PerThreadPoolingValueTaskMethodBuilder<int>.CacheSize * 3;
        var sources = Enumerable.Range(0, count).Select(_ => new ManualSource()).ToArray();
        for (var round = 0; round < 3; round++)
        {
            var tasks = sources.Select((source, i) => AddAsync(source, i)).ToArray();
            foreach (var source in sources) source.Complete(round);
            for (var i = 0; i < count; i++) Assert.Equal(i + round + 1, tasks[i].GetAwaiter().GetResult());
        }
    }

    private static void OnPlainThread(Action body)
    {
        // No synchronization context (xunit's would post continuations): continuations run inline, as on an event loop.
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                body();
            }
            catch (Exception ex)
            {
                failure = ex;
            }
        });
        thread.Start();
        thread.Join();
        if (failure is not null) throw new Xunit.Sdk.XunitException($"on the test thread: {failure}");
    }

    [AsyncMethodBuilder(typeof(PerThreadPoolingValueTaskMethodBuilder<>))]
    private static async ValueTask<int> AddAsync(ManualSource? source, int value)
    {
        var awaited = source is null ? 0 : await source.Next();
        return value + awaited + 1;
    }

    [AsyncMethodBuilder(typeof(PerThreadPoolingValueTaskMethodBuilder))]
    private static async ValueTask NothingAsync(ManualSource? source)
    {
        if (source is not null) await source.Next();
    }

    [AsyncMethodBuilder(typeof(PerThreadPoolingValueTaskMethodBuilder))]
    private static async ValueTask ThrowAsync(ManualSource? source)
    {
        if (source is null) throw new InvalidOperationException("before any await");
        var value = await source.Next();
        throw new InvalidOperationException($"after {value}");
    }

    [AsyncMethodBuilder(typeof(PerThreadPoolingValueTaskMethodBuilder))]
    private static async ValueTask ReadLocalAsync(ManualSource source, AsyncLocal<string> local, Action<string?> seen)
    {
        await source.Next();
        seen(local.Value);
    }

    /// <summary>A reusable awaitable completed by the test, with continuations run inline (as the event loop runs them).</summary>
    private sealed class ManualSource : IValueTaskSource<int>
    {
        private ManualResetValueTaskSourceCore<int> _core = new() { RunContinuationsAsynchronously = false };

        public ValueTask<int> Next() => new(this, _core.Version);

        public void Complete(int value) => _core.SetResult(value);

        public void Fail(Exception error) => _core.SetException(error);

        public int GetResult(short token)
        {
            var result = _core.GetResult(token);
            _core.Reset();
            return result;
        }

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);
    }
}
