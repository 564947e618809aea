using Drover.Core.Configuration;
using Drover.Node.Configuration;

namespace Drover.Node.Tests.Configuration;

public sealed class IoConfigReaderTests
{
    private const string Minimal = """
        listeners.web { mode = http, bind = "127.0.0.1:8081", routes = [ { host = "*", path-prefix = "/", pool = p } ] }
        pools.p.backends = [ { id = a, address = "127.0.0.1:1" } ]
        """;

    private static string Hocon(string io) => $"drover {{ {Minimal}\n{io} }}";

    private static DroverConfig Read(string io) => DroverConfigReader.Read(HoconText.Parse(Hocon(io), "test"));

    [Fact]
    public void The_engine_defaults_to_epoll_and_reads_both_names()
    {
        Assert.Equal(IoEngine.Epoll, Read("").Io.Engine);
        Assert.Equal(IoEngine.Sockets, Read("io { engine = sockets }").Io.Engine);
        Assert.Equal(IoEngine.Epoll, Read("io.engine = EPOLL").Io.Engine);
    }

    [Fact]
    public void Busy_poll_defaults_to_50us_and_reads_microseconds_milliseconds_and_zero()
    {
        Assert.Equal(TimeSpan.FromMicroseconds(50), Read("").Io.BusyPoll);
        Assert.Equal(TimeSpan.FromMicroseconds(200), Read("io { busy-poll = 200us }").Io.BusyPoll);
        Assert.Equal(TimeSpan.FromMicroseconds(20), Read("io.busy-poll = 20 micros").Io.BusyPoll);
        Assert.Equal(TimeSpan.FromMilliseconds(1), Read("io.busy-poll = 1ms").Io.BusyPoll);
        Assert.Equal(TimeSpan.Zero, Read("io.busy-poll = 0").Io.BusyPoll);
        Assert.Equal(IoEngine.Sockets, Read("io { engine = sockets, busy-poll = 0us }").Io.Engine);
    }

    [Fact]
    public void Splice_is_on_by_default_and_can_be_turned_off()
    {
        Assert.True(Read("").Io.Splice);
        Assert.False(Read("io { splice = off }").Io.Splice);
        Assert.False(Read("io.splice = false").Io.Splice);
        Assert.True(Read("io { engine = sockets, splice = on }").Io.Splice);
    }

    [Theory]
    [InlineData("io { busy-poll = 2ms }", "drover.io.busy-poll", "must be at most 1ms (0 turns busy polling off)")]
    [InlineData("io { busy-poll = -5us }", "drover.io.busy-poll", "must not be negative")]
    [InlineData("io { busy-poll = soon }", "drover.io.busy-poll", "'soon' is not a duration (examples: 50us, 500ms")]
    [InlineData("io { engine = uring }", "drover.io.engine", "unknown engine 'uring' (expected epoll or sockets)")]
    [InlineData("io { threads = 2 }", "drover.io.threads", "unknown key")]
    [InlineData("io { splice = sometimes }", "drover.io.splice", "'sometimes' is not on or off")]
    [InlineData("io = epoll", "drover.io", "must be an object")]
    public void Bad_values_name_their_key(string io, string path, string fragment)
    {
        var error = Assert.Single(Assert.Throws<ConfigException>(() => Read(io)).Errors);
        Assert.Equal(path, error.Path);
        Assert.Contains(fragment, error.Message);
    }

    [Fact]
    public void The_engine_and_busy_poll_can_come_from_the_environment()
    {
        var environment = new System.Collections.Hashtable { ["DROVER__IO__ENGINE"] = "sockets", ["DROVER__IO__BUSY_POLL"] = "0", ["DROVER__IO__SPLICE"] = "off" };
        var config = Drover.Node.Hosting.ConfigLoader.FromHocon(HoconText.Parse(Hocon(""), "test"), "test", environment);
        Assert.Equal(IoEngine.Sockets, config.Drover.Io.Engine);
        Assert.Equal(TimeSpan.Zero, config.Drover.Io.BusyPoll);
        Assert.False(config.Drover.Io.Splice);
    }
}
