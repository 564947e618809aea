using Drover.Core.Configuration;
using Drover.Node.Configuration;
using Drover.Node.Hosting;

namespace Drover.Node.Tests.Configuration;

public sealed class ShutdownConfigReaderTests
{
    private const string Minimal = """
        listeners.raw { mode = tcp, bind = "127.0.0.1:8081", pool = p }
        pools.p.backends = [ { id = a, address = "127.0.0.1:1" } ]
        """;

    private static string Hocon(string shutdown) => $"drover {{ {Minimal}\n{shutdown} }}";

    private static DroverConfig Read(string shutdown) => DroverConfigReader.Read(HoconText.Parse(Hocon(shutdown), "test"));

    private static ConfigError Invalid(string shutdown) =>
        Assert.Single(Assert.Throws<ConfigException>(() => Read(shutdown)).Errors);

    [Fact]
    public void Without_a_shutdown_section_readiness_fails_2s_before_a_10s_drain()
    {
        Assert.Equal(ShutdownConfig.Default, Read("").Shutdown);
        Assert.Equal(new ShutdownConfig(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(10)), ShutdownConfig.Default);
    }

    [Fact]
    public void Both_keys_are_read_and_a_zero_ready_delay_turns_it_off()
    {
        Assert.Equal(new ShutdownConfig(TimeSpan.FromMilliseconds(1500), TimeSpan.FromSeconds(30)),
            Read("shutdown { ready-delay = 1500ms, drain-timeout = 30s }").Shutdown);
        Assert.Equal(TimeSpan.Zero, Read("shutdown.ready-delay = 0s").Shutdown.ReadyDelay);
    }

    [Theory]
    [InlineData("shutdown { ready-delay = -1s }", "drover.shutdown.ready-delay", "must not be negative")]
    [InlineData("shutdown { ready-delay = soon }", "drover.shutdown.ready-delay", "is not a duration")]
    [InlineData("shutdown { ready-delay = 2m }", "drover.shutdown.ready-delay", "longer than the 60s allowed")]
    [InlineData("shutdown { drain-timeout = 0s }", "drover.shutdown.drain-timeout", "must be greater than zero")]
    [InlineData("shutdown { drain-timeout = 1h }", "drover.shutdown.drain-timeout", "longer than the 10m allowed")]
    [InlineData("shutdown { grace = 5s }", "drover.shutdown.grace", "unknown key")]
    [InlineData("shutdown = 5s", "drover.shutdown", "must be an object")]
    public void Bad_values_name_their_key(string shutdown, string path, string fragment)
    {
        var error = Invalid(shutdown);
        Assert.Equal(path, error.Path);
        Assert.Contains(fragment, error.Message);
    }

    [Fact]
    public void The_shutdown_phases_are_raised_to_fit_the_delay_and_the_drain_but_never_lowered()
    {
        var config = ConfigLoader.FromHocon(HoconText.Parse(Hocon("shutdown { ready-delay = 8s, drain-timeout = 40s }"), "test"), "test");
        Assert.Equal(TimeSpan.FromSeconds(13), config.Hocon.GetTimeSpan("akka.coordinated-shutdown.phases.before-service-unbind.timeout"));
        Assert.Equal(TimeSpan.FromSeconds(45), config.Hocon.GetTimeSpan("akka.coordinated-shutdown.phases.service-unbind.timeout"));
        Assert.Equal(TimeSpan.FromSeconds(40), config.DrainTimeout);
        Assert.Equal(TimeSpan.FromSeconds(8), config.ReadyDelay);

        // Drover's default of 20 s for service-unbind already covers a 10 s drain: it stays.
        var defaults = ConfigLoader.FromHocon(HoconText.Parse(Hocon(""), "test"), "test");
        Assert.Equal(TimeSpan.FromSeconds(20), defaults.Hocon.GetTimeSpan("akka.coordinated-shutdown.phases.service-unbind.timeout"));
        Assert.Equal(TimeSpan.FromSeconds(7), defaults.Hocon.GetTimeSpan("akka.coordinated-shutdown.phases.before-service-unbind.timeout"));
    }

    [Fact]
    public void The_ready_delay_can_come_from_the_environment()
    {
        var environment = new System.Collections.Hashtable { ["DROVER__SHUTDOWN__READY_DELAY"] = "5s" };
        var config = ConfigLoader.FromHocon(HoconText.Parse(Hocon(""), "test"), "test", environment);
        Assert.Equal(TimeSpan.FromSeconds(5), config.ReadyDelay);
    }
}
