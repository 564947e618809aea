using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;

namespace Drover.Core.Threading;

/// <summary>
/// An async method builder for <see cref="ValueTask{TResult}"/> that reuses the boxes holding
/// suspended state machines from a per-thread stack of up to <see cref="CacheSize"/> per method.
/// .NET's <see cref="PoolingAsyncValueTaskMethodBuilder{TResult}"/> keeps one box per thread and one
/// per core: on an event loop thread that resumes dozens of connections' requests in one batch (their
/// boxes go back) and then starts their next steps (new boxes needed), all but one of those are
/// allocated again, ~700 bytes per proxied request. Here a thread keeps enough for a batch. A box
/// returns to the stack of whichever thread takes the result; a full stack drops it.
/// </summary>
public struct PerThreadPoolingValueTaskMethodBuilder<TResult>
{
    /// <summary>Boxes kept per async method and thread.</summary>
    public const int CacheSize = 128;

    // Completed synchronously: no box was ever needed.
    private static readonly Box SyncSuccess = new DetachedBox(succeeded: true);

    private Box? _box;
    private TResult _result;

    public static PerThreadPoolingValueTaskMethodBuilder<TResult> Create() => default;

    public readonly void Start<TStateMachine>(ref TStateMachine stateMachine) where TStateMachine : IAsyncStateMachine =>
        default(AsyncValueTaskMethodBuilder<TResult>).Start(ref stateMachine);

    public readonly void SetStateMachine(IAsyncStateMachine stateMachine)
    {
    }

    public void SetResult(TResult result)
    {
        if (_box is null)
        {
            _result = result;
            _box = SyncSuccess;
        }
        else
        {
            // Nothing here may touch this builder after the call: the awaiter may run, take the
            // result and return the box (clearing the state machine this builder lives in).
            _box.SetResult(result);
        }
    }

    public void SetException(Exception exception) => (_box ??= new DetachedBox(succeeded: false)).SetException(exception);

    public ValueTask<TResult> Task
    {
        get
        {
            if (ReferenceEquals(_box, SyncSuccess)) return new ValueTask<TResult>(_result);
            var box = _box ??= new DetachedBox(succeeded: false);
            return new ValueTask<TResult>(box, box.Version);
        }
    }

    /// <summary>The same operation as a result-less <see cref="ValueTask"/> (the non-generic builder's task).</summary>
    internal ValueTask UntypedTask
    {
        get
        {
            if (ReferenceEquals(_box, SyncSuccess)) return ValueTask.CompletedTask;
            var box = _box ??= new DetachedBox(succeeded: false);
            return new ValueTask(box, box.Version);
        }
    }

    public void AwaitOnCompleted<TAwaiter, TStateMachine>(ref TAwaiter awaiter, ref TStateMachine stateMachine)
        where TAwaiter : INotifyCompletion
        where TStateMachine : IAsyncStateMachine =>
        awaiter.OnCompleted(BoxFor(ref stateMachine).MoveNextAction);

    public void AwaitUnsafeOnCompleted<TAwaiter, TStateMachine>(ref TAwaiter awaiter, ref TStateMachine stateMachine)
        where TAwaiter : ICriticalNotifyCompletion
        where TStateMachine : IAsyncStateMachine =>
        awaiter.UnsafeOnCompleted(BoxFor(ref stateMachine).MoveNextAction);

    private StateMachineBox<TStateMachine> BoxFor<TStateMachine>(ref TStateMachine stateMachine) where TStateMachine : IAsyncStateMachine
    {
        var context = ExecutionContext.Capture();
        if (_box is StateMachineBox<TStateMachine> existing)
        {
            existing.Context = context;
            return existing;
        }
        var box = StateMachineBox<TStateMachine>.Rent();
        // Before the copy: the boxed state machine's builder must point at its box too.
        _box = box;
        box.StateMachine = stateMachine;
        box.Context = context;
        return box;
    }

    /// <summary>What the returned <see cref="ValueTask{TResult}"/> waits on.</summary>
    internal abstract class Box : IValueTaskSource<TResult>, IValueTaskSource
    {
        protected ManualResetValueTaskSourceCore<TResult> Core;

        public short Version => Core.Version;

        public void SetResult(TResult result) => Core.SetResult(result);

        public void SetException(Exception exception) => Core.SetException(exception);

        public ValueTaskSourceStatus GetStatus(short token) => Core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            Core.OnCompleted(continuation, state, token, flags);

        public abstract TResult GetResult(short token);

        void IValueTaskSource.GetResult(short token) => GetResult(token);
    }

    /// <summary>A box that holds no state machine (the shared synchronous success, or an exception before the first suspension). Never pooled.</summary>
    private sealed class DetachedBox : Box
    {
        public DetachedBox(bool succeeded)
        {
            if (succeeded) Core.SetResult(default!);
        }

        public override TResult GetResult(short token) => Core.GetResult(token);
    }

    /// <summary>A suspended <typeparamref name="TStateMachine"/>, with the stack it returns to.</summary>
    private sealed class StateMachineBox<TStateMachine> : Box where TStateMachine : IAsyncStateMachine
    {
        private static readonly ContextCallback RunInContext = static state => ((StateMachineBox<TStateMachine>)state!).StateMachine!.MoveNext();

        [ThreadStatic]
        private static StateMachineBox<TStateMachine>?[]? t_cache;
        [ThreadStatic]
        private static int t_cached;

        private Action? _moveNext;
        public TStateMachine? StateMachine;
        public ExecutionContext? Context;

        public Action MoveNextAction => _moveNext ??= MoveNext;

        public static StateMachineBox<TStateMachine> Rent()
        {
            var cache = t_cache;
            if (cache is null || t_cached == 0) return new StateMachineBox<TStateMachine>();
            var index = --t_cached;
            var box = cache[index]!;
            cache[index] = null;
            return box;
        }

        private void Return()
        {
            StateMachine = default;
            Context = null;
            Core.Reset();
            var cache = t_cache ??= new StateMachineBox<TStateMachine>?[CacheSize];
            if (t_cached < cache.Length) cache[t_cached++] = this;
        }

        private void MoveNext()
        {
            var context = Context;
            if (context is null) StateMachine!.MoveNext();
            else ExecutionContext.Run(context, RunInContext, this);
        }

        public override TResult GetResult(short token)
        {
            try
            {
                return Core.GetResult(token);
            }
            finally
            {
                Return();
            }
        }
    }
}
