using Drover.Core.Configuration;
using Drover.Node.Configuration;

namespace Drover.Node.Tests.Configuration;

public sealed class CmdConfigReaderTests
{
    private const string Minimal = """
        listeners.raw { mode = tcp, bind = "127.0.0.1:0", pool = p }
        pools.p.backends = [ { id = a, address = "127.0.0.1:1" } ]
        """;

    private static DroverConfig Read(string cmd) =>
        DroverConfigReader.Read(HoconText.Parse($"drover {{ {Minimal}\n{cmd} }}", "test"));

    private static ConfigError Invalid(string cmd) =>
        Assert.Single(Assert.Throws<ConfigException>(() => Read(cmd)).Errors);

    [Fact]
    public void Without_a_cmd_section_the_host_runs_on_loopback_9110_without_a_token()
    {
        var cmd = Read("").Cmd;
        Assert.Equal(CmdConfig.Default, cmd);
        Assert.True(cmd.Enabled);
        Assert.Equal("127.0.0.1:9110", cmd.Bind.ToString());
        Assert.True(cmd.IsLoopback);
        Assert.False(cmd.RequiresToken);
    }

    [Theory]
    [InlineData("127.0.0.1:0")]
    [InlineData("127.0.0.2:9110")]
    [InlineData("[::1]:9110")]
    [InlineData("localhost:9110")]
    public void Loopback_binds_need_no_token(string bind) =>
        Assert.True(Read($"cmd {{ bind = \"{bind}\" }}").Cmd.IsLoopback);

    [Theory]
    [InlineData("0.0.0.0:9110")]
    [InlineData("*:9110")]
    [InlineData("10.1.2.3:9110")]
    [InlineData("[::]:9110")]
    public void Any_other_bind_without_a_token_is_a_config_error(string bind)
    {
        var error = Invalid($"cmd {{ bind = \"{bind}\" }}");
        Assert.Equal("drover.cmd.token", error.Path);
        Assert.Contains("is required when drover.cmd.bind", error.Message);
    }

    [Fact]
    public void Any_other_bind_with_a_token_is_fine_and_so_is_a_disabled_host()
    {
        var cmd = Read("cmd { bind = \"0.0.0.0:9110\", token = \"s3cret\" }").Cmd;
        Assert.False(cmd.IsLoopback);
        Assert.Equal("s3cret", cmd.Token);
        Assert.False(Read("cmd { enabled = off, bind = \"0.0.0.0:9110\" }").Cmd.Enabled);
    }

    [Theory]
    [InlineData("cmd { bind = \"nope\" }", "drover.cmd.bind", "is not host:port")]
    [InlineData("cmd { bind = \"example.com:9110\" }", "drover.cmd.bind", "must be an IP address, localhost or *")]
    [InlineData("cmd { bind = \"127.0.0.1:70000\" }", "drover.cmd.bind", "from 0 to 65535")]
    [InlineData("cmd { bind = \"0.0.0.0:9110\", token = \"   \" }", "drover.cmd.token", "is required")]
    [InlineData("cmd { enabled = maybe }", "drover.cmd.enabled", "is not on or off")]
    [InlineData("cmd { port = 9110 }", "drover.cmd.port", "unknown key")]
    [InlineData("cmd = 9110", "drover.cmd", "must be an object")]
    public void Bad_values_name_their_key(string cmd, string path, string fragment)
    {
        var error = Invalid(cmd);
        Assert.Equal(path, error.Path);
        Assert.Contains(fragment, error.Message);
    }

    [Fact]
    public void The_token_can_come_from_the_environment()
    {
        var file = HoconText.Parse($"drover {{ {Minimal}\ncmd.bind = \"0.0.0.0:9110\" }}", "test");
        var config = Drover.Node.Hosting.ConfigLoader.FromHocon(file, "test", new System.Collections.Hashtable { ["DROVER__CMD__TOKEN"] = "from-env" });
        Assert.Equal("from-env", config.Drover.Cmd.Token);
    }

    [Fact]
    public void Fault_injection_is_off_by_default_and_needs_the_throttler_transport_when_on()
    {
        Assert.False(Read("").Cmd.FaultInjection);
        Assert.False(Read("cmd { fault-injection = off }").Cmd.FaultInjection);

        var error = Invalid("cmd { fault-injection = on }");
        Assert.Equal("drover.cmd.fault-injection", error.Path);
        Assert.Contains("set akka.remote.dot-netty.tcp.applied-adapters = [trttl]", error.Message);

        var config = DroverConfigReader.Read(HoconText.Parse(
            $"drover {{ {Minimal}\ncmd.fault-injection = on }}\nakka.remote.dot-netty.tcp.applied-adapters = [trttl]", "test"));
        Assert.True(config.Cmd.FaultInjection);
    }

    [Fact]
    public void Fault_injection_can_be_switched_on_by_the_environment()
    {
        var file = HoconText.Parse($"drover {{ {Minimal} }}", "test");
        var config = Drover.Node.Hosting.ConfigLoader.FromHocon(file, "test", new System.Collections.Hashtable
        {
            ["DROVER__CMD__FAULT_INJECTION"] = "on",
            ["AKKA__REMOTE__DOT_NETTY__TCP__APPLIED_ADAPTERS__0"] = "trttl",
        });
        Assert.True(config.Drover.Cmd.FaultInjection);
    }
}
