using System.Globalization;
using System.Text;
using Drover.Core.Balancing;
using Drover.Core.Configuration;
using Drover.Core.Health;
using Drover.Core.Pools;

namespace Drover.Node.Configuration;

/// <summary>
/// Writes a <see cref="DroverConfig"/> back as the HOCON <c>drover { ... }</c> section (<c>lb config</c>):
/// every key, defaults included, so it shows what the node runs, not only what the file said. The
/// text reads back through <see cref="DroverConfigReader"/> to the same config, except the secrets
/// (<c>drover.cluster.secret</c>, <c>drover.cmd.token</c>), which are written as <see cref="Hidden"/>.
/// </summary>
public static class DroverConfigWriter
{
    /// <summary>What a secret that is set is written as.</summary>
    public const string Hidden = "<hidden>";

    public static string Write(DroverConfig config)
    {
        var w = new Writer();
        w.Open("drover");
        w.Open("listeners");
        foreach (var listener in config.Listeners) WriteListener(w, listener);
        w.Close();
        w.Open("pools");
        foreach (var pool in config.Pools) WritePool(w, pool);
        w.Close();
        w.Line($"cluster {{ secret = {Quote(config.Cluster.HasSecret ? Hidden : "")} }}");
        var demo = config.Demo;
        w.Line($"demo {{ backends = {Int(demo.Backends)}, first-port = {Int(demo.FirstPort)}, host = {Quote(demo.Host)} }}");
        var cmd = config.Cmd;
        w.Line($"cmd {{ enabled = {OnOff(cmd.Enabled)}, bind = {Quote(cmd.Bind.ToString())}, token = {Quote(cmd.RequiresToken ? Hidden : "")}, " +
               $"fault-injection = {OnOff(cmd.FaultInjection)} }}");
        w.Line($"admin {{ enabled = {OnOff(config.Admin.Enabled)}, bind = {Quote(config.Admin.Bind.ToString())} }}");
        var log = config.AccessLog;
        w.Line($"access-log {{ enabled = {OnOff(log.Enabled)}, format = {(log.Format == AccessLogFormat.Json ? "json" : "text")}, path = {Quote(log.Path)} }}");
        w.Line($"shutdown {{ ready-delay = {Duration(config.Shutdown.ReadyDelay)}, drain-timeout = {Duration(config.Shutdown.DrainTimeout)} }}");
        w.Close();
        return w.ToString();
    }

    private static void WriteListener(Writer w, ListenerConfig listener)
    {
        w.Open(Key(listener.Name));
        w.Line($"mode = {(listener.Mode == ListenerMode.Http ? "http" : "tcp")}");
        w.Line($"bind = {Quote(listener.Bind.ToString())}");
        if (listener.Mode == ListenerMode.Http)
        {
            w.Line($"fast-path = {OnOff(listener.FastPath)}");
            w.Line("routes = [");
            w.Indent++;
            foreach (var route in listener.Routes)
            {
                var parts = new List<string> { $"host = {Quote(route.Host)}", $"path-prefix = {Quote(route.PathPrefix)}" };
                if (route.HeaderName is not null)
                    parts.Add(route.HeaderValue is null
                        ? $"header {{ name = {Quote(route.HeaderName)} }}"
                        : $"header {{ name = {Quote(route.HeaderName)}, value = {Quote(route.HeaderValue)} }}");
                if (route.Methods is { Count: > 0 } methods) parts.Add($"methods = [{string.Join(", ", methods.Select(Quote))}]");
                parts.Add($"pool = {Quote(route.Pool)}");
                w.Line($"{{ {string.Join(", ", parts)} }}");
            }
            w.Indent--;
            w.Line("]");
        }
        else
        {
            if (listener.Pool is not null) w.Line($"pool = {Quote(listener.Pool)}");
            if (listener.SniRoutes.Count > 0)
            {
                w.Line($"sni-routes {{ {string.Join(", ", listener.SniRoutes.Select(r => $"{Quote(r.ServerName)} = {Quote(r.Pool)}"))} }}");
                w.Line($"inspect-delay = {Duration(listener.InspectDelay)}");
            }
        }
        w.Close();
    }

    private static void WritePool(Writer w, PoolConfig pool)
    {
        w.Open(Key(pool.Name));
        w.Line($"balance = {pool.Balance.ToConfigName()}");
        w.Line($"hash-key = {Quote(pool.HashKey.ToString())}");
        w.Line("backends = [");
        w.Indent++;
        foreach (var b in pool.Backends)
            w.Line($"{{ id = {Quote(b.Id)}, address = {Quote(b.Address.ToString())}, weight = {Int(b.Weight)}, state = {b.State.ToConfigName()} }}");
        w.Indent--;
        w.Line("]");
        var t = pool.Timeouts;
        w.Line($"timeouts {{ connect = {Duration(t.Connect)}, request-headers = {Duration(t.RequestHeaders)}, response = {Duration(t.Response)}, idle = {Duration(t.Idle)} }}");

        w.Open("health");
        var a = pool.Health.Active;
        if (!a.Enabled) w.Line("active = off");
        else
        {
            var parts = new List<string> { $"type = {a.Type.ToConfigName()}" };
            if (a.Type == ActiveCheckType.Http)
                parts.AddRange([$"path = {Quote(a.Path)}", $"host = {Quote(a.Host)}", $"expect-status = {Quote(a.ExpectStatus.ToString())}", $"expect-body = {Quote(a.ExpectBody)}"]);
            parts.AddRange([$"interval = {Duration(a.Interval)}", $"timeout = {Duration(a.Timeout)}", $"rise = {Int(a.Rise)}", $"fall = {Int(a.Fall)}", $"jitter = {Share(a.Jitter)}"]);
            w.Line($"active {{ {string.Join(", ", parts)} }}");
        }
        var p = pool.Health.Passive;
        w.Line($"passive {{ consecutive-failures = {Int(p.ConsecutiveFailures)}, failure-rate = {Share(p.FailureRate)}, window = {Duration(p.Window)}, " +
               $"min-requests = {Int(p.MinRequests)}, eject-time = {Duration(p.EjectTime)}, max-eject-time = {Duration(p.MaxEjectTime)}, max-ejected = {Share(p.MaxEjected)} }}");
        w.Line($"quorum = {Int(pool.Health.Quorum)}");
        w.Close();

        var r = pool.Retries;
        w.Line($"retries {{ attempts = {Int(r.Attempts)}, budget = {Share(r.Budget)}, on = [{string.Join(", ", r.On.ToConfigNames().Select(Quote))}] }}");
        w.Line($"max-connections = {Int(pool.MaxConnections)}");
        w.Line($"queue {{ size = {Int(pool.Queue.Size)}, timeout = {Duration(pool.Queue.Timeout)} }}");
        w.Line($"slow-start = {Duration(pool.SlowStart)}");
        w.Line($"all-unhealthy = {pool.AllUnhealthy.ToConfigName()}");
        var s = pool.Sticky;
        if (!s.Enabled) w.Line("sticky = off");
        else
            w.Line($"sticky {{ mode = {Quote(s.ModeText)}{(s.Mode == Core.Sessions.StickyMode.Cookie ? $", cookie-name = {Quote(s.CookieName)}" : "")}, ttl = {Duration(s.Ttl)} }}");
        w.Close();
    }

    /// <summary>A duration in the largest unit that writes it exactly: <c>30s</c>, <c>1500ms</c>, <c>5m</c>.</summary>
    internal static string Duration(TimeSpan span)
    {
        var ticks = span.Ticks;
        if (ticks == 0) return "0s";
        (long Ticks, string Unit)[] units =
            [(TimeSpan.TicksPerDay, "d"), (TimeSpan.TicksPerHour, "h"), (TimeSpan.TicksPerMinute, "m"), (TimeSpan.TicksPerSecond, "s"), (TimeSpan.TicksPerMillisecond, "ms"), (10, "us")];
        foreach (var (size, unit) in units)
            if (ticks % size == 0) return (ticks / size).ToString(CultureInfo.InvariantCulture) + unit;
        return (ticks * 100).ToString(CultureInfo.InvariantCulture) + "ns";
    }

    /// <summary>A 0..1 share as a percentage, as exact as a double allows: <c>20%</c>, <c>12.5%</c>.</summary>
    internal static string Share(double fraction) =>
        (fraction * 100).ToString("0.##########", CultureInfo.InvariantCulture) + "%";

    private static string Int(int n) => n.ToString(CultureInfo.InvariantCulture);

    private static string OnOff(bool on) => on ? "on" : "off";

    /// <summary>A key as is when it is a plain word; quoted when it has a dot (a path separator in HOCON) or anything else.</summary>
    private static string Key(string key) =>
        key.Length > 0 && key.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_') ? key : Quote(key);

    /// <summary>A HOCON quoted string (JSON's escapes).</summary>
    internal static string Quote(string text)
    {
        var sb = new StringBuilder(text.Length + 2).Append('"');
        foreach (var c in text)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c < ' ') sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        return sb.Append('"').ToString();
    }

    private sealed class Writer
    {
        private readonly StringBuilder _text = new();
        public int Indent;

        public void Line(string line) => _text.Append(' ', Indent * 2).Append(line).Append('\n');

        public void Open(string key)
        {
            Line(key + " {");
            Indent++;
        }

        public void Close()
        {
            Indent--;
            Line("}");
        }

        public override string ToString() => _text.ToString();
    }
}
