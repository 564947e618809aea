using Drover.Core.Health;
using Xunit;

namespace Drover.Core.Tests.Health;

public class MaxEjectedTests
{
    [Theory]
    // ejectedNow, usableNow, total, maxEjected, allowed
    [InlineData(0, 10, 10, 0.5, true)]
    [InlineData(4, 6, 10, 0.5, true)]    // the 5th of 10 at 50%
    [InlineData(5, 5, 10, 0.5, false)]   // a 6th would exceed 50%
    [InlineData(0, 4, 4, 0.5, true)]
    [InlineData(1, 3, 4, 0.5, true)]
    [InlineData(2, 2, 4, 0.5, false)]
    [InlineData(2, 8, 10, 0.3, true)]    // 0.3 * 10 is 3, not 2.9999...
    [InlineData(3, 7, 10, 0.3, false)]
    [InlineData(0, 3, 3, 0.1, true)]     // floor(0.3) = 0, but one ejection is always allowed
    [InlineData(1, 2, 3, 0.1, false)]
    [InlineData(0, 2, 2, 1.0, true)]
    [InlineData(1, 1, 2, 1.0, false)]    // never the last usable backend, even at 100%
    [InlineData(0, 1, 3, 1.0, false)]    // the other two are Down: this one is the last usable
    [InlineData(0, 1, 1, 0.5, false)]    // a single-backend pool
    [InlineData(0, 0, 3, 1.0, false)]
    [InlineData(0, 5, 5, 0.0, false)]    // max-ejected = 0% turns ejection off
    [InlineData(0, 5, 5, 1.5, true)]     // out-of-range config is clamped, not trusted
    [InlineData(4, 1, 5, 1.5, false)]
    public void Allows(int ejectedNow, int usableNow, int total, double maxEjected, bool expected)
    {
        Assert.Equal(expected, MaxEjected.Allows(ejectedNow, usableNow, total, maxEjected));
    }
}
