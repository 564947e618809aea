using Drover.Core.Health;
using Xunit;

namespace Drover.Core.Tests.Health;

public class AllUnhealthyModesTests
{
    [Theory]
    [InlineData("fail", AllUnhealthyMode.Fail)]
    [InlineData("use-all", AllUnhealthyMode.UseAll)]
    [InlineData(" USE-ALL ", AllUnhealthyMode.UseAll)]
    public void TryParse_Accepts(string text, AllUnhealthyMode expected)
    {
        Assert.True(AllUnhealthyModes.TryParse(text, out var mode));
        Assert.Equal(expected, mode);
    }

    [Theory]
    [InlineData("panic")]
    [InlineData("use_all")]
    [InlineData("")]
    [InlineData(null)]
    public void TryParse_Rejects(string? text)
    {
        Assert.False(AllUnhealthyModes.TryParse(text, out _));
    }

    [Fact]
    public void ConfigNames_RoundTrip()
    {
        foreach (var mode in Enum.GetValues<AllUnhealthyMode>())
        {
            Assert.True(AllUnhealthyModes.TryParse(mode.ToConfigName(), out var parsed));
            Assert.Equal(mode, parsed);
            Assert.Contains(mode.ToConfigName(), AllUnhealthyModes.AllNames);
        }
    }
}
