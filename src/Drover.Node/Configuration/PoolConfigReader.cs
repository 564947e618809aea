using Drover.Core.Balancing;
using Drover.Core.Configuration;
using Drover.Core.Health;
using Drover.Core.Pools;
using Drover.Core.Sessions;

namespace Drover.Node.Configuration;

/// <summary>
/// Reads one <c>drover.pools.NAME { ... }</c>. It checks what a value is written as (a duration, a
/// percentage, a known name, a key that belongs here); the ranges are checked once, on the records,
/// by <see cref="DroverConfigValidator"/>.
/// </summary>
internal static class PoolConfigReader
{
    private static readonly string[] PoolKeys =
        ["balance", "hash-key", "backends", "timeouts", "health", "retries", "max-connections", "queue", "slow-start", "all-unhealthy", "sticky"];
    private static readonly string[] BackendKeys = ["id", "address", "weight", "state"];
    private static readonly string[] TimeoutKeys = ["connect", "request-headers", "response", "idle"];
    private static readonly string[] HealthKeys = ["active", "passive", "quorum"];
    private static readonly string[] ActiveKeys =
        ["type", "path", "host", "expect-status", "expect-body", "interval", "timeout", "rise", "fall", "jitter"];
    private static readonly string[] HttpOnlyActiveKeys = ["path", "host", "expect-status", "expect-body"];
    private static readonly string[] PassiveKeys =
        ["consecutive-failures", "failure-rate", "window", "min-requests", "eject-time", "max-eject-time", "max-ejected"];
    private static readonly string[] RetryKeys = ["attempts", "budget", "on"];
    private static readonly string[] QueueKeys = ["size", "timeout"];
    private static readonly string[] StickyKeys = ["mode", "cookie-name", "ttl"];

    private static readonly PoolConfig Defaults =
        new("", BalanceMode.RoundRobin, HashKey.ClientIp, [], TimeoutsConfig.Default);

    public static PoolConfig? Read(string name, HoconNode node)
    {
        if (!node.IsObject)
        {
            node.Error("a pool must be an object { balance = ..., backends = [...] }");
            return null;
        }
        node.RejectUnknownKeys(PoolKeys);

        var balanceText = node.String("balance", "round-robin")!;
        if (!BalanceModes.TryParse(balanceText, out var balance))
            node.Error("balance", $"unknown balance mode '{balanceText}' (expected {BalanceModes.AllNames})");

        var hashKey = HashKey.ClientIp;
        if (node.String("hash-key") is { } hashText && !HashKey.TryParse(hashText, out hashKey, out var hashError))
            node.Error("hash-key", hashError);

        var allUnhealthy = Defaults.AllUnhealthy;
        if (node.String("all-unhealthy") is { } modeText && !AllUnhealthyModes.TryParse(modeText, out allUnhealthy))
            node.Error("all-unhealthy", $"unknown mode '{modeText.Trim()}' (expected {AllUnhealthyModes.AllNames})");

        return new PoolConfig(name, balance, hashKey, ReadBackends(node), ReadTimeouts(node.Child("timeouts")))
        {
            Health = ReadHealth(node.Child("health")),
            Retries = ReadRetries(node.Child("retries")),
            MaxConnections = node.Int("max-connections", Defaults.MaxConnections),
            Queue = ReadQueue(node.Child("queue")),
            SlowStart = node.Duration("slow-start", Defaults.SlowStart),
            AllUnhealthy = allUnhealthy,
            Sticky = ReadSticky(node),
        };
    }

    private static List<BackendConfig> ReadBackends(HoconNode pool)
    {
        var backends = new List<BackendConfig>();
        if (!pool.Child("backends").Exists) pool.Error("backends", "is required: a list of { id, address, weight }");
        foreach (var b in pool.ObjectList("backends"))
        {
            b.RejectUnknownKeys(BackendKeys);
            var id = b.RequiredString("id");
            if (id is not null && !DroverConfigReader.IsIdentifier(id))
                b.Error("id", $"'{id}' may contain only letters, digits, '-', '_' and '.'");
            var address = b.HostPort("address");
            var weight = b.Int("weight", 1, 0, BackendConfig.MaxWeight);
            var state = AdminState.Ready;
            if (b.String("state") is { } stateText && !AdminStates.TryParse(stateText, out state))
                b.Error("state", $"unknown state '{stateText.Trim()}' (expected {AdminStates.AllNames})");
            if (id is not null && address is not null)
                backends.Add(new BackendConfig(id, address.Value, weight) { State = state });
        }
        return backends;
    }

    private static TimeoutsConfig ReadTimeouts(HoconNode t)
    {
        var d = TimeoutsConfig.Default;
        if (!t.Exists) return d;
        t.RejectUnknownKeys(TimeoutKeys);
        return new TimeoutsConfig(
            t.PositiveDuration("connect", d.Connect),
            t.PositiveDuration("response", d.Response),
            t.PositiveDuration("idle", d.Idle))
        {
            RequestHeaders = t.PositiveDuration("request-headers", d.RequestHeaders),
        };
    }

    private static HealthConfig ReadHealth(HoconNode h)
    {
        if (!h.Exists) return HealthConfig.Default;
        h.RejectUnknownKeys(HealthKeys);
        return new HealthConfig(ReadActive(h, h.Child("active")), ReadPassive(h, h.Child("passive")))
        {
            Quorum = h.Int("quorum", HealthConfig.Default.Quorum),
        };
    }

    /// <summary>
    /// <c>active = off</c>, or a block: <c>type</c> defaults to http there, since writing the block
    /// asks for checks; HTTP-only keys under <c>type = tcp</c> are errors, as they would do nothing.
    /// </summary>
    private static ActiveHealthConfig ReadActive(HoconNode health, HoconNode a)
    {
        if (!IsBlock(health, "active", "{ type = http | tcp, ... }")) return ActiveHealthConfig.Off;

        var d = ActiveHealthConfig.HttpDefaults;
        a.RejectUnknownKeys(ActiveKeys);
        var type = ActiveCheckType.Http;
        if (a.String("type") is { } typeText && !ActiveCheckTypes.TryParse(typeText, out type))
        {
            a.Error("type", $"unknown check type '{typeText.Trim()}' (expected {ActiveCheckTypes.AllNames})");
            type = ActiveCheckType.Http;
        }
        if (type == ActiveCheckType.Tcp)
            foreach (var key in HttpOnlyActiveKeys)
                if (a.Child(key).IsPresent)
                    a.Error(key, "applies to type = http only (a tcp check only connects)");

        var expectStatus = d.ExpectStatus;
        if (a.String("expect-status") is { } statusText && !StatusRange.TryParse(statusText, out expectStatus, out var statusError))
        {
            a.Error("expect-status", statusError);
            expectStatus = d.ExpectStatus;
        }

        return new ActiveHealthConfig(
            type,
            Path: a.String("path", d.Path)!.Trim(),
            Host: a.String("host", d.Host)!.Trim(),
            ExpectStatus: expectStatus,
            ExpectBody: a.String("expect-body", d.ExpectBody)!,
            Interval: a.Duration("interval", d.Interval),
            Timeout: a.Duration("timeout", d.Timeout),
            Rise: a.Int("rise", d.Rise),
            Fall: a.Int("fall", d.Fall),
            Jitter: a.Fraction("jitter", d.Jitter));
    }

    private static PassiveHealthConfig ReadPassive(HoconNode health, HoconNode p)
    {
        var d = PassiveHealthConfig.Default;
        if (!p.IsPresent) return d;
        if (!IsBlock(health, "passive", "{ consecutive-failures = ..., ... }")) return PassiveHealthConfig.Off;

        p.RejectUnknownKeys(PassiveKeys);
        return new PassiveHealthConfig(
            ConsecutiveFailures: p.Int("consecutive-failures", d.ConsecutiveFailures),
            FailureRate: p.Fraction("failure-rate", d.FailureRate),
            Window: p.Duration("window", d.Window),
            MinRequests: p.Int("min-requests", d.MinRequests),
            EjectTime: p.Duration("eject-time", d.EjectTime),
            MaxEjectTime: p.Duration("max-eject-time", d.MaxEjectTime),
            MaxEjected: p.Fraction("max-ejected", d.MaxEjected));
    }

    private static RetryConfig ReadRetries(HoconNode r)
    {
        var d = RetryConfig.Default;
        if (!r.Exists) return d;
        r.RejectUnknownKeys(RetryKeys);

        var on = d.On;
        if (r.Child("on").IsPresent)
        {
            // StringList reports a value that is not a list; an empty list is valid (retry nothing).
            var items = r.StringList("on");
            if (r.Child("on").HasListValue && !RetryOnParser.TryParse(items, out on, out var onError))
            {
                r.Error("on", onError);
                on = d.On;
            }
        }
        return new RetryConfig(r.Int("attempts", d.Attempts), r.Fraction("budget", d.Budget), on);
    }

    private static QueueConfig ReadQueue(HoconNode q)
    {
        var d = QueueConfig.Default;
        if (!q.Exists) return d;
        q.RejectUnknownKeys(QueueKeys);
        return new QueueConfig(q.Int("size", d.Size), q.Duration("timeout", d.Timeout));
    }

    /// <summary><c>sticky = off</c> or <c>sticky { mode = ..., cookie-name = ..., ttl = ... }</c>; in a block, mode is required.</summary>
    private static StickyConfig ReadSticky(HoconNode pool)
    {
        if (!IsBlock(pool, "sticky", "{ mode = cookie | header:NAME | client-ip | learn-cookie:NAME, ... }")) return StickyConfig.Off;
        var s = pool.Child("sticky");
        s.RejectUnknownKeys(StickyKeys);
        var mode = StickyMode.Off;
        string? name = null;
        if (s.RequiredString("mode") is { } modeText && !StickyConfig.TryParseMode(modeText, out mode, out name, out var error))
            s.Error("mode", error);
        if (mode != StickyMode.Cookie && s.Child("cookie-name").IsPresent)
            s.Error("cookie-name", "applies to mode = cookie only (learn-cookie:NAME names its cookie in the mode)");
        return new StickyConfig(mode, name)
        {
            CookieName = s.String("cookie-name", StickyConfig.DefaultCookieName)!.Trim(),
            Ttl = s.Duration("ttl", StickyConfig.DefaultTtl),
        };
    }

    /// <summary>
    /// For keys written as a block or the word <c>off</c>: true for a block (empty included), false
    /// for <c>off</c>, absence, or anything else (reported).
    /// </summary>
    private static bool IsBlock(HoconNode parent, string key, string shape)
    {
        var child = parent.Child(key);
        if (!child.IsPresent) return false;
        if (child.HasObjectValue) return true;
        if (!child.HasListValue && parent.String(key)?.Trim().Equals("off", StringComparison.OrdinalIgnoreCase) == true)
            return false;
        child.Error($"must be an object {shape} or off");
        return false;
    }
}
