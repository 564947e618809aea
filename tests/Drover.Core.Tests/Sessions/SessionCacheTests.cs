using Drover.Core.Configuration;
using Drover.Core.Net;
using Drover.Core.Pools;
using Drover.Core.Sessions;

namespace Drover.Core.Tests.Sessions;

public sealed class SessionCacheTests
{
    private long _now = 1_000;
    private static readonly Backend B1 = new("p", new BackendConfig("b1", new HostPort("127.0.0.1", 1), 1));
    private static readonly Backend B2 = new("p", new BackendConfig("b2", new HostPort("127.0.0.1", 2), 1), 1);

    private SessionCache NewCache(int capacity = 100) => new(capacity, () => _now);

    [Fact]
    public void Entries_expire_and_are_replaced_whole()
    {
        var cache = NewCache();
        cache.Set("alice", B1, TimeSpan.FromSeconds(10));
        Assert.True(cache.TryGet("alice", out var entry));
        Assert.Same(B1, entry.Backend);
        cache.Set("alice", B2, TimeSpan.FromSeconds(10));
        Assert.True(cache.TryGet("alice".AsSpan(), out entry));
        Assert.Same(B2, entry.Backend);
        _now += 10_000;
        Assert.False(cache.TryGet("alice", out _));
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public void A_renewal_is_claimed_once_per_interval_and_extends_the_entry()
    {
        var cache = NewCache();
        var entry = cache.Set("alice", B1, TimeSpan.FromSeconds(40));
        Assert.False(entry.TryClaimRenewal(_now + 9_999, 10_000, 40_000)); // just learned from the owner
        _now += 10_000;
        var claims = 0;
        Parallel.For(0, 64, _ =>
        {
            if (entry.TryClaimRenewal(_now, 10_000, 40_000)) Interlocked.Increment(ref claims);
        });
        Assert.Equal(1, claims);
        Assert.Equal(_now + 40_000, entry.ExpiresAt);
        var provisional = cache.Set("bob", B1, TimeSpan.FromSeconds(2), provisional: true);
        _now += 100_000;
        Assert.False(provisional.TryClaimRenewal(_now, 10_000, 40_000)); // a fallback guess is never renewed
    }

    [Fact]
    public void The_cache_stays_within_its_capacity_dropping_expired_entries_first()
    {
        var cache = NewCache(capacity: 100);
        for (var i = 0; i < 50; i++) cache.Set($"old{i}", B1, TimeSpan.FromSeconds(1));
        _now += 2_000;
        for (var i = 0; i < 60; i++) cache.Set($"new{i}", B2, TimeSpan.FromSeconds(60));
        Assert.InRange(cache.Count, 60, 100);
        for (var i = 0; i < 60; i++) Assert.True(cache.TryGet($"new{i}", out _), $"new{i} was evicted while expired entries were there");

        for (var i = 0; i < 1_000; i++) cache.Set($"more{i}", B2, TimeSpan.FromSeconds(60));
        Assert.InRange(cache.Count, 1, 100);
    }

    [Fact]
    public void Concurrent_writers_and_readers_keep_it_bounded()
    {
        var cache = new SessionCache(1_000);
        Parallel.For(0, 8, worker =>
        {
            for (var i = 0; i < 20_000; i++)
            {
                cache.Set($"{worker}-{i}", i % 2 == 0 ? B1 : B2, TimeSpan.FromMinutes(1));
                cache.TryGet($"{worker}-{i / 2}", out _);
            }
        });
        Assert.InRange(cache.Count, 1, 1_000);
    }

    [Fact]
    public void Removing_a_backends_bindings_leaves_the_others()
    {
        var cache = new SessionCache(1_000);
        for (var i = 0; i < 10; i++) cache.Set($"k{i}", i % 2 == 0 ? B1 : B2, TimeSpan.FromMinutes(1));
        Assert.Equal(5, cache.RemoveBoundTo(B1));
        Assert.Equal(5, cache.Count);
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(i % 2 != 0, cache.TryGet($"k{i}", out var entry));
            if (i % 2 != 0) Assert.Same(B2, entry.Backend);
        }
        Assert.Equal(0, cache.RemoveBoundTo(B1));
    }
}
