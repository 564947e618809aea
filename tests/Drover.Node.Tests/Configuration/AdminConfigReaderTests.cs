using Drover.Core.Configuration;
using Drover.Node.Configuration;

namespace Drover.Node.Tests.Configuration;

public sealed class AdminConfigReaderTests
{
    private const string Minimal = """
        listeners.raw { mode = tcp, bind = "127.0.0.1:8081", pool = p }
        pools.p.backends = [ { id = a, address = "127.0.0.1:1" } ]
        """;

    private static DroverConfig Read(string admin) =>
        DroverConfigReader.Read(HoconText.Parse($"drover {{ {Minimal}\n{admin} }}", "test"));

    private static ConfigError Invalid(string admin) =>
        Assert.Single(Assert.Throws<ConfigException>(() => Read(admin)).Errors);

    [Fact]
    public void Without_an_admin_section_the_endpoint_runs_on_loopback_9901()
    {
        var admin = Read("").Admin;
        Assert.Equal(AdminConfig.Default, admin);
        Assert.True(admin.Enabled);
        Assert.Equal("127.0.0.1:9901", admin.Bind.ToString());
    }

    [Theory]
    [InlineData("127.0.0.1:0")]
    [InlineData("0.0.0.0:9901")]
    [InlineData("*:9100")]
    [InlineData("[::1]:9901")]
    [InlineData("localhost:9901")]
    public void Any_local_address_binds(string bind) =>
        Assert.Equal(bind, Read($"admin {{ bind = \"{bind}\" }}").Admin.Bind.ToString());

    [Fact]
    public void It_can_be_turned_off() => Assert.False(Read("admin { enabled = off }").Admin.Enabled);

    [Theory]
    [InlineData("admin { bind = \"nope\" }", "drover.admin.bind", "is not host:port")]
    [InlineData("admin { bind = \"example.com:9901\" }", "drover.admin.bind", "must be an IP address, localhost or *")]
    [InlineData("admin { bind = \"127.0.0.1:70000\" }", "drover.admin.bind", "from 0 to 65535")]
    [InlineData("admin { enabled = maybe }", "drover.admin.enabled", "is not on or off")]
    [InlineData("admin { port = 9901 }", "drover.admin.port", "unknown key")]
    [InlineData("admin = 9901", "drover.admin", "must be an object")]
    [InlineData("admin.bind = \"127.0.0.1:8081\"", "drover.admin.bind", "clashes with drover.listeners.raw.bind")]
    public void Bad_values_name_their_key(string admin, string path, string fragment)
    {
        var error = Invalid(admin);
        Assert.Equal(path, error.Path);
        Assert.Contains(fragment, error.Message);
    }

    [Fact]
    public void A_disabled_endpoint_clashes_with_nothing() =>
        Assert.False(Read("admin { enabled = off, bind = \"127.0.0.1:8081\" }").Admin.Enabled);

    [Fact]
    public void The_bind_can_come_from_the_environment()
    {
        var file = HoconText.Parse($"drover {{ {Minimal} }}", "test");
        var config = Drover.Node.Hosting.ConfigLoader.FromHocon(file, "test", new System.Collections.Hashtable { ["DROVER__ADMIN__BIND"] = "127.0.0.1:0" });
        Assert.Equal(0, config.Drover.Admin.Bind.Port);
    }
}
