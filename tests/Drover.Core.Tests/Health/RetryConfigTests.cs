using Drover.Core.Health;
using Xunit;

namespace Drover.Core.Tests.Health;

public class RetryConfigTests
{
    [Fact]
    public void Default_MatchesTheDocumentedValues()
    {
        var c = RetryConfig.Default;
        Assert.Equal(2, c.Attempts);
        Assert.Equal(0.2, c.Budget);
        Assert.Equal(RetryOn.ConnectFailure | RetryOn.ResetBeforeResponse | RetryOn.Status502 | RetryOn.Status503 | RetryOn.Status504, c.On);
        Assert.Equal(3, c.MaxTries);
        Assert.True(c.Enabled);
        Assert.Empty(c.Validate("p.retries"));
    }

    [Theory]
    [InlineData(0, 0.2, RetryOn.ConnectFailure)]
    [InlineData(2, 0.0, RetryOn.ConnectFailure)]
    [InlineData(2, 0.2, RetryOn.None)]
    public void Enabled_NeedsAttemptsBudgetAndConditions(int attempts, double budget, RetryOn on)
    {
        Assert.False(new RetryConfig(attempts, budget, on).Enabled);
        Assert.False(RetryConfig.None.Enabled);
    }

    [Fact]
    public void Validate_NamesEveryBadKey()
    {
        var errors = new RetryConfig(-1, 1.2, RetryOn.None).Validate("p.retries");
        Assert.Equal(["p.retries.attempts", "p.retries.budget"], errors.Select(e => e.Path));
        Assert.Empty(new RetryConfig(RetryConfig.MaxAttempts, 1, RetryOn.None).Validate("p"));
        Assert.Single(new RetryConfig(RetryConfig.MaxAttempts + 1, 1, RetryOn.None).Validate("p"));
    }
}
