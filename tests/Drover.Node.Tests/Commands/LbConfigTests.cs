using Drover.Node.Configuration;
using Drover.Node.Tests.Support;

namespace Drover.Node.Tests.Commands;

/// <summary><c>lb config</c>: the running drover section as HOCON that reads back to the same config, secrets hidden.</summary>
public sealed class LbConfigTests
{
    private const string Secret = "s3cret-cookie-key-0123456789";
    private const string Token = "cmd-t0ken-xyz";

    [Fact]
    public async Task Prints_every_key_hides_secrets_and_reads_back_to_the_same_config()
    {
        await using var node = await TestNode.StartAsync($$"""
            drover {
              cmd { bind = "127.0.0.1:0", token = "{{Token}}" }
              cluster.secret = "{{Secret}}"
              listeners {
                web {
                  mode = http, bind = "127.0.0.1:0", fast-path = off
                  routes = [
                    { host = "api.example.com", path-prefix = "/v2", header { name = X-Canary, value = "a \"quoted\" value" }, methods = [GET, post], pool = "api.v2" }
                    { host = "*.example.com", header { name = X-Any }, pool = web }
                    { pool = web }
                  ]
                }
                tls { mode = tcp, bind = "127.0.0.1:0", sni-routes { "a.example.test" = web, "*.example.org" = web }, pool = web, inspect-delay = 1500ms }
              }
              pools {
                web {
                  balance = consistent-hash, hash-key = "header:X-User"
                  backends = [ { id = b1, address = "127.0.0.1:1", weight = 3 }, { id = b2, address = "127.0.0.1:2", weight = 0, state = drain } ]
                  health {
                    active { type = tcp, interval = 1500ms, timeout = 250ms, rise = 1, fall = 2, jitter = 12.5% }
                    passive = off
                    quorum = 1
                  }
                  retries { attempts = 1, budget = 0.1, on = [connect-failure, 503] }
                  max-connections = 10, queue { size = 5, timeout = 2s }
                  slow-start = 0s, all-unhealthy = use-all
                }
                "api.v2" {
                  backends = [ { id = a, address = "localhost:8080" } ]
                  timeouts { connect = 1s, request-headers = 2s, response = 1m, idle = 1h }
                  health.active { path = "/ping", expect-status = "200", expect-body = "pong" }
                  sticky { mode = cookie, cookie-name = SID, ttl = 45m }
                }
              }
              access-log { format = json, path = stderr }
            }
            """);

        var output = await CliRunner.RunAsync(node.Commands.EndPoint!, "lb config", token: Token);
        Assert.Equal(0, output.ExitCode);
        var text = output.Output;
        Assert.DoesNotContain(Secret, text);
        Assert.DoesNotContain(Token, text);
        Assert.Contains("cluster { secret = \"<hidden>\" }", text);
        Assert.Contains("token = \"<hidden>\"", text);
        Assert.StartsWith("# the drover section this node runs", text);
        Assert.Contains("\"api.v2\" {", text);
        Assert.Contains("{ id = \"b2\", address = \"127.0.0.1:2\", weight = 0, state = drain }", text);
        Assert.Contains("active { type = tcp, interval = 1500ms, timeout = 250ms, rise = 1, fall = 2, jitter = 12.5% }", text);
        Assert.Contains("sticky { mode = \"cookie\", cookie-name = \"SID\", ttl = 45m }", text);
        Assert.Contains("methods = [\"GET\", \"POST\"]", text);
        Assert.Contains("slow-start = 30s", text); // a default, shown

        // Read back (with the hidden values filled in), it is the same config: written again, the same text.
        var filled = text.Replace("secret = \"<hidden>\"", $"secret = \"{Secret}\"").Replace("token = \"<hidden>\"", $"token = \"{Token}\"");
        var reread = DroverConfigReader.Read(HoconText.Parse(filled, "lb config"));
        Assert.Equal(Secret, reread.Cluster.Secret);
        Assert.Equal(Token, reread.Cmd.Token);
        Assert.Equal(text[(text.IndexOf('\n') + 1)..], DroverConfigWriter.Write(reread));
        Assert.Equal("a \"quoted\" value", reread.Listeners.Single(l => l.Name == "web").Routes[0].HeaderValue);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), reread.Pools.Single(p => p.Name == "web").Health.Active.Interval);
        Assert.Equal(0.125, reread.Pools.Single(p => p.Name == "web").Health.Active.Jitter);
    }

    [Fact]
    public async Task Help_shows_the_new_lb_commands()
    {
        await using var node = await TestNode.StartAsync(CommandNodeFixture.Drover);
        var help = await CliRunner.LinesAsync(node.Commands.EndPoint!, "help");
        Assert.Contains(help, l => l.StartsWith("  lb sessions -p POOL [-k KEY] "));
        Assert.Contains(help, l => l.StartsWith("  lb weight -p POOL -b BACKEND -w WEIGHT "));
        Assert.Contains(help, l => l.StartsWith("  lb stats [-p POOL] "));
        Assert.Contains(help, l => l.StartsWith("  lb config "));
    }
}
