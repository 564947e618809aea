using Drover.Core.Health;
using Xunit;

namespace Drover.Core.Tests.Health;

public class ActiveCheckTypesTests
{
    [Theory]
    [InlineData("http", ActiveCheckType.Http)]
    [InlineData("TCP", ActiveCheckType.Tcp)]
    [InlineData(" off ", ActiveCheckType.Off)]
    public void TryParse_Accepts(string text, ActiveCheckType expected)
    {
        Assert.True(ActiveCheckTypes.TryParse(text, out var type));
        Assert.Equal(expected, type);
    }

    [Theory]
    [InlineData("https")]
    [InlineData("grpc")]
    [InlineData("")]
    [InlineData(null)]
    public void TryParse_Rejects(string? text)
    {
        Assert.False(ActiveCheckTypes.TryParse(text, out _));
    }

    [Fact]
    public void ConfigNames_RoundTrip()
    {
        foreach (var type in Enum.GetValues<ActiveCheckType>())
        {
            Assert.True(ActiveCheckTypes.TryParse(type.ToConfigName(), out var parsed));
            Assert.Equal(type, parsed);
        }
        Assert.Equal("http | tcp | off", ActiveCheckTypes.AllNames);
    }
}
