using Drover.Core.Sessions;

namespace Drover.Core.Tests.Sessions;

public sealed class SessionKeysTests
{
    [Fact]
    public void Short_plain_keys_stay_readable_and_others_are_hashed()
    {
        Assert.Equal("web:10.0.0.5", SessionKeys.EntityId("web", "10.0.0.5"));
        Assert.Equal("web:user-42", SessionKeys.EntityId("web", "user-42"));
        var hashed = SessionKeys.EntityId("web", new string('k', 200));
        Assert.StartsWith("web:#", hashed);
        Assert.Equal("web:#".Length + 32, hashed.Length);
        Assert.StartsWith("web:#", SessionKeys.EntityId("web", "has space"));
        Assert.StartsWith("web:#", SessionKeys.EntityId("web", "#looks-hashed")); // cannot pose as a hashed key
        Assert.NotEqual(SessionKeys.EntityId("web", "a b"), SessionKeys.EntityId("web", "a  b"));
        Assert.Equal("web", SessionKeys.PoolOf(SessionKeys.EntityId("web", "fe80::1")));
    }

    [Fact]
    public void Buckets_are_stable_and_spread()
    {
        // Every node must agree: a fixed input maps to a fixed bucket (XxHash3, not string.GetHashCode).
        Assert.Equal(SessionKeys.Bucket("web:alice", 100), SessionKeys.Bucket("web:alice", 100));
        var counts = new int[32];
        for (var i = 0; i < 32_000; i++) counts[SessionKeys.Bucket($"web:user-{i}", 32, salt: 7)]++;
        Assert.All(counts, c => Assert.InRange(c, 800, 1200));
        Assert.NotEqual(
            Enumerable.Range(0, 50).Select(i => SessionKeys.Bucket($"k{i}", 32, 1)),
            Enumerable.Range(0, 50).Select(i => SessionKeys.Bucket($"k{i}", 32, 2)));
    }

    [Fact]
    public void Records_round_trip_as_text()
    {
        var record = new SessionRecord("b-1.x", 1_712_345_678_901);
        Assert.Equal("b-1.x|1712345678901", record.Format());
        Assert.True(SessionRecord.TryParse(record.Format(), out var parsed));
        Assert.Equal(record, parsed);
        Assert.True(parsed.IsExpired(1_712_345_678_901));
        Assert.False(parsed.IsExpired(1_712_345_678_900));
        foreach (var bad in new[] { null, "", "b1", "|5", "b1|", "b1|x", "b1|-5" })
            Assert.False(SessionRecord.TryParse(bad, out _));
    }
}
