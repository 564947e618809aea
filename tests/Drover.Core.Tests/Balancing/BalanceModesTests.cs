using Drover.Core.Balancing;
using Xunit;

namespace Drover.Core.Tests.Balancing;

public class BalanceModesTests
{
    [Theory]
    [InlineData("round-robin", BalanceMode.RoundRobin)]
    [InlineData("least-connections", BalanceMode.LeastConnections)]
    [InlineData("random", BalanceMode.Random)]
    [InlineData("power-of-two", BalanceMode.PowerOfTwo)]
    [InlineData("consistent-hash", BalanceMode.ConsistentHash)]
    [InlineData("least-response-time", BalanceMode.LeastResponseTime)]
    [InlineData(" Round-Robin ", BalanceMode.RoundRobin)]
    public void TryParse_KnownNames(string text, BalanceMode expected)
    {
        Assert.True(BalanceModes.TryParse(text, out var mode));
        Assert.Equal(expected, mode);
    }

    [Theory]
    [InlineData("weighted-random")]
    [InlineData("roundrobin")]
    [InlineData("RoundRobin")]
    [InlineData("")]
    [InlineData(null)]
    public void TryParse_UnknownNames(string? text)
    {
        Assert.False(BalanceModes.TryParse(text, out _));
    }

    [Fact]
    public void ToConfigName_RoundTripsForEveryMode_AndIsListedInAllNames()
    {
        foreach (var mode in Enum.GetValues<BalanceMode>())
        {
            var name = mode.ToConfigName();
            Assert.True(BalanceModes.TryParse(name, out var parsed));
            Assert.Equal(mode, parsed);
            Assert.Contains(name, BalanceModes.AllNames.Split(" | "));
        }
    }
}
