using System.Runtime.CompilerServices;
using Drover.Core.Buffers;
using Xunit;

namespace Drover.Core.Tests.Buffers;

public class BlockMemoryPoolTests
{
    [Fact]
    public void A_returned_block_is_rented_again_without_allocating()
    {
        using var pool = new BlockMemoryPool(1024, 4);
        var first = pool.RentBlock();
        Assert.Equal(1024, first.Memory.Length);
        first.Dispose();
        Assert.Equal(1, pool.Retained);

        var second = pool.RentBlock();
        Assert.Same(first, second);
        Assert.Equal(1, pool.Allocated);
        Assert.Equal(0, pool.Retained);
    }

    [Fact]
    public void A_thread_gets_back_the_blocks_it_returned_last_first()
    {
        // On a thread of its own: a test thread's cache may belong to another test's pool.
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var pool = new BlockMemoryPool(64, 8);
                var a = pool.RentBlock();
                var b = pool.RentBlock();
                var c = pool.RentBlock();
                a.Dispose();
                b.Dispose();
                c.Dispose();
                Assert.Equal(3, pool.Retained);
                // Newest first (a queue would give a, the block that has been out of the cache longest).
                Assert.Same(c, pool.RentBlock());
                Assert.Same(b, pool.RentBlock());
                Assert.Same(a, pool.RentBlock());
                Assert.Equal(0, pool.Retained);
                Assert.Equal(3, pool.Allocated);
            }
            catch (Exception ex)
            {
                failure = ex;
            }
        });
        thread.Start();
        thread.Join();
        if (failure is not null) throw failure;
    }

    [Fact]
    public void Blocks_returned_past_a_threads_few_go_to_the_shared_queue_for_any_thread()
    {
        using var pool = new BlockMemoryPool(64, 16);
        var blocks = Enumerable.Range(0, 10).Select(_ => pool.RentBlock()).ToList();
        // The returning thread stays alive to the end: the blocks it keeps stop counting once it has ended
        // and a GC (another test's, in parallel) has collected its cache.
        using var returned = new ManualResetEventSlim();
        using var finish = new ManualResetEventSlim();
        var returner = new Thread(() =>
        {
            blocks.ForEach(block => block.Dispose());
            returned.Set();
            finish.Wait();
        });
        returner.Start();
        try
        {
            Assert.True(returned.Wait(TimeSpan.FromSeconds(10)));
            Assert.Equal(10, pool.Retained);
            // Another thread can take those the returning thread did not keep for itself, without allocating.
            var taken = new List<BlockMemoryPool.Block>();
            var renter = new Thread(() =>
            {
                for (var i = 0; i < 6; i++) taken.Add(pool.RentBlock());
            });
            renter.Start();
            renter.Join();
            Assert.Equal(10, pool.Allocated);
            Assert.Equal(4, pool.Retained);
            Assert.All(taken, block => Assert.Contains(block, blocks));
        }
        finally
        {
            finish.Set();
            returner.Join();
        }
    }

    [Fact]
    public void Blocks_kept_by_a_thread_that_ends_no_longer_count_as_retained()
    {
        using var pool = new BlockMemoryPool(64, 8);
        RentAndReturnOnAThreadThatEnds(pool, 3);
        Assert.Equal(3, pool.Retained); // kept by that thread, which has ended
        for (var i = 0; i < 10 && pool.Retained > 0; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        // Otherwise each retired thread-pool worker would leave the count higher until the pool kept nothing.
        Assert.Equal(0, pool.Retained);
        var block = pool.RentBlock();
        block.Dispose();
        Assert.Equal(1, pool.Retained);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void RentAndReturnOnAThreadThatEnds(BlockMemoryPool pool, int count)
    {
        var thread = new Thread(() =>
        {
            var blocks = Enumerable.Range(0, count).Select(_ => pool.RentBlock()).ToList();
            blocks.ForEach(block => block.Dispose());
        });
        thread.Start();
        thread.Join();
    }

    [Fact]
    public void Blocks_in_use_are_distinct()
    {
        using var pool = new BlockMemoryPool(64, 8);
        var blocks = Enumerable.Range(0, 5).Select(_ => pool.RentBlock()).ToList();
        Assert.Equal(5, blocks.Select(b => b.Array).Distinct().Count());
        Assert.Equal(5, pool.Allocated);
    }

    [Fact]
    public void Keeps_at_most_MaxRetained_blocks()
    {
        using var pool = new BlockMemoryPool(64, 3);
        var blocks = Enumerable.Range(0, 10).Select(_ => pool.RentBlock()).ToList();
        foreach (var block in blocks) block.Dispose();
        Assert.Equal(3, pool.Retained);

        // Three come back from the pool, the fourth is new.
        for (var i = 0; i < 3; i++) pool.RentBlock();
        Assert.Equal(10, pool.Allocated);
        pool.RentBlock();
        Assert.Equal(11, pool.Allocated);
    }

    [Fact]
    public void Disposing_a_block_twice_returns_it_once()
    {
        using var pool = new BlockMemoryPool(64, 8);
        var block = pool.RentBlock();
        block.Dispose();
        block.Dispose();
        Assert.Equal(1, pool.Retained);
        var again = pool.RentBlock();
        var other = pool.RentBlock();
        Assert.NotSame(again, other);
    }

    [Fact]
    public void Rent_larger_than_a_block_is_refused_and_MaxBufferSize_says_so()
    {
        using var pool = new BlockMemoryPool(256, 1);
        Assert.Equal(256, pool.MaxBufferSize);
        Assert.Equal(256, pool.Rent(256).Memory.Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(257));
    }

    [Fact]
    public void Steady_rent_and_return_allocates_nothing()
    {
        using var pool = new BlockMemoryPool(4096, 64);
        for (var i = 0; i < 64; i++)
        {
            // Warm: two blocks exist and the queue's segment is allocated.
            var a = pool.RentBlock();
            var b = pool.RentBlock();
            a.Dispose();
            b.Dispose();
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            var a = pool.RentBlock();
            var b = pool.RentBlock();
            a.Dispose();
            b.Dispose();
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.True(pool.Allocated <= 2, $"allocated {pool.Allocated} blocks");
    }

    [Fact]
    public async Task Concurrent_renters_never_share_a_block()
    {
        using var pool = new BlockMemoryPool(16, 32);
        var inUse = new System.Collections.Concurrent.ConcurrentDictionary<byte[], byte>(ReferenceEqualityComparer.Instance);
        var clash = 0;
        var tasks = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 20_000; i++)
            {
                var block = pool.RentBlock();
                if (!inUse.TryAdd(block.Array, 0)) Interlocked.Increment(ref clash);
                inUse.TryRemove(block.Array, out byte _);
                block.Dispose();
            }
        })).ToArray();
        await Task.WhenAll(tasks);
        Assert.Equal(0, clash);
        Assert.True(pool.Retained <= 32);
    }
}
