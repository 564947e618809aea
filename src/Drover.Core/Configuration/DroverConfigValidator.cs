using Drover.Core.Balancing;
using Drover.Core.Net;
using Drover.Core.Routing;
using Drover.Core.Sessions;

namespace Drover.Core.Configuration;

/// <summary>
/// Checks what a single key cannot tell: references between listeners and pools, duplicates, and
/// binds that clash; and the ranges of the pool settings, so a config built in code is held to the
/// same rules as one read from a file. Each problem names its key path. Whether a port is free is
/// the host's check.
/// </summary>
public static class DroverConfigValidator
{
    public static IReadOnlyList<ConfigError> Validate(DroverConfig config)
    {
        var errors = new List<ConfigError>();
        var pools = new HashSet<string>(config.Pools.Select(p => p.Name), StringComparer.Ordinal);

        foreach (var pool in config.Pools) ValidatePool(pool, errors);
        foreach (var listener in config.Listeners) ValidateListener(listener, pools, errors);
        ValidateBinds(config, errors);
        ValidateSticky(config, errors);
        return errors;
    }

    public static void ThrowIfInvalid(DroverConfig config)
    {
        var errors = Validate(config);
        if (errors.Count > 0) throw new ConfigException(errors);
    }

    private static void ValidatePool(PoolConfig pool, List<ConfigError> errors)
    {
        if (pool.Backends.Count == 0)
            errors.Add(new ConfigError($"{pool.Path}.backends", "the pool has no backends"));

        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < pool.Backends.Count; i++)
        {
            var backend = pool.Backends[i];
            var path = $"{pool.Path}.backends[{i}]";
            if (!ids.Add(backend.Id))
                errors.Add(new ConfigError($"{path}.id", $"duplicate backend id '{backend.Id}' in pool '{pool.Name}'"));
            if (backend.Address.IsAnyAddress)
                errors.Add(new ConfigError($"{path}.address", $"'{backend.Address}' is a wildcard, not an address to connect to"));
        }

        if (pool.Balance != BalanceMode.ConsistentHash && pool.HashKey != HashKey.ClientIp)
            errors.Add(new ConfigError($"{pool.Path}.hash-key", $"hash-key is only used with balance = consistent-hash (balance is {pool.Balance.ToConfigName()})"));

        ValidateResilience(pool, errors);
        errors.AddRange(pool.Sticky.Validate($"{pool.Path}.sticky"));
    }

    private static void ValidateResilience(PoolConfig pool, List<ConfigError> errors)
    {
        var path = pool.Path;
        if (pool.Timeouts.RequestHeaders <= TimeSpan.Zero)
            errors.Add(new ConfigError($"{path}.timeouts.request-headers", "must be greater than zero"));
        errors.AddRange(pool.Health.Validate($"{path}.health"));
        errors.AddRange(pool.Retries.Validate($"{path}.retries"));
        if (pool.MaxConnections < 0)
            errors.Add(new ConfigError($"{path}.max-connections", "must be 0 (unlimited) or more"));
        // The queue is checked even when max-connections is 0 (unused), so turning the limit on later cannot meet a bad queue.
        if (pool.Queue.Size < 1 || pool.Queue.Size > QueueConfig.MaxSize)
            errors.Add(new ConfigError($"{path}.queue.size", $"must be from 1 to {QueueConfig.MaxSize}"));
        if (pool.Queue.Timeout <= TimeSpan.Zero)
            errors.Add(new ConfigError($"{path}.queue.timeout", "must be greater than zero"));
        if (pool.SlowStart < TimeSpan.Zero)
            errors.Add(new ConfigError($"{path}.slow-start", "must be 0 (off) or more"));
    }

    private static void ValidateListener(ListenerConfig listener, HashSet<string> pools, List<ConfigError> errors)
    {
        var path = listener.Path;
        void CheckPool(string keyPath, string? pool)
        {
            if (pool is not null && !pools.Contains(pool))
                errors.Add(new ConfigError(keyPath, $"unknown pool '{pool}' (defined pools: {(pools.Count == 0 ? "none" : string.Join(", ", pools.Order()))})"));
        }

        if (listener.Mode == ListenerMode.Http)
        {
            if (listener.Routes.Count == 0)
                errors.Add(new ConfigError($"{path}.routes", "an http listener needs at least one route"));
            if (listener.SniRoutes.Count > 0)
                errors.Add(new ConfigError($"{path}.sni-routes", "sni-routes apply to tcp listeners only (TLS pass-through)"));
            if (listener.Pool is not null)
                errors.Add(new ConfigError($"{path}.pool", "an http listener routes by its routes list; give the pool in a route instead"));
            for (var i = 0; i < listener.Routes.Count; i++)
            {
                var route = listener.Routes[i];
                var routePath = $"{path}.routes[{i}]";
                CheckPool($"{routePath}.pool", route.Pool);
                if (!HostPattern.TryParse(route.Host, out _, out var hostError))
                    errors.Add(new ConfigError($"{routePath}.host", hostError));
                if (!route.PathPrefix.StartsWith('/'))
                    errors.Add(new ConfigError($"{routePath}.path-prefix", $"'{route.PathPrefix}' must start with '/'"));
            }
        }
        else
        {
            if (listener.Routes.Count > 0)
                errors.Add(new ConfigError($"{path}.routes", "routes apply to http listeners; a tcp listener takes pool and sni-routes"));
            if (listener.Pool is null && listener.SniRoutes.Count == 0)
                errors.Add(new ConfigError($"{path}.pool", "a tcp listener needs a pool (or sni-routes)"));
            CheckPool($"{path}.pool", listener.Pool);
            var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var route in listener.SniRoutes)
            {
                var routePath = $"{path}.sni-routes.\"{route.ServerName}\"";
                CheckPool(routePath, route.Pool);
                if (!HostPattern.TryParse(route.ServerName, out var pattern, out var error))
                    errors.Add(new ConfigError(routePath, error));
                else if (pattern.Kind == HostPatternKind.Any)
                    errors.Add(new ConfigError(routePath, "'*' is not a server name; the listener's pool is the fallback for unmatched names"));
                else if (!names.Add(pattern.Text))
                    errors.Add(new ConfigError(routePath, $"server name '{pattern.Text}' is listed twice"));
            }
            if (listener.InspectDelay <= TimeSpan.Zero && listener.SniRoutes.Count > 0)
                errors.Add(new ConfigError($"{path}.inspect-delay", "must be greater than zero"));
        }
    }

    /// <summary>
    /// Cookie sessions need the cluster secret (cookies are signed with it, and every node must verify
    /// what any node issued); a pool behind a tcp listener can only key on the client address.
    /// </summary>
    private static void ValidateSticky(DroverConfig config, List<ConfigError> errors)
    {
        var cookiePools = config.Pools.Where(p => p.Sticky.Mode == StickyMode.Cookie).Select(p => p.Name).ToList();
        if (config.Cluster.HasSecret && config.Cluster.Secret!.Length < ClusterConfig.MinSecretLength)
            errors.Add(new ConfigError(ClusterConfig.SecretPath, $"must be at least {ClusterConfig.MinSecretLength} characters (it signs session cookies)"));
        else if (!config.Cluster.HasSecret && cookiePools.Count > 0)
            errors.Add(new ConfigError(ClusterConfig.SecretPath,
                $"is required: pool{(cookiePools.Count > 1 ? "s" : "")} {string.Join(", ", cookiePools.Select(p => $"'{p}'"))} use{(cookiePools.Count > 1 ? "" : "s")} sticky.mode = cookie, whose cookies are signed with it " +
                $"(the same value on every node, at least {ClusterConfig.MinSecretLength} characters; or set DROVER__CLUSTER__SECRET)"));

        foreach (var listener in config.Listeners.Where(l => l.Mode == ListenerMode.Tcp))
        {
            var used = listener.SniRoutes.Select(r => (r.Pool, Path: $"{listener.Path}.sni-routes")).ToList();
            if (listener.Pool is not null) used.Add((listener.Pool, $"{listener.Path}.pool"));
            foreach (var (name, usedAt) in used.DistinctBy(u => u.Pool))
            {
                if (config.FindPool(name) is not { } pool || pool.Sticky.Mode is StickyMode.Off or StickyMode.ClientIp) continue;
                errors.Add(new ConfigError($"{pool.Path}.sticky.mode",
                    $"'{pool.Sticky.ModeText}' needs HTTP, but tcp listener '{listener.Name}' uses this pool ({usedAt}); a pool behind a tcp listener may use off or client-ip"));
            }
        }
    }

    private static void ValidateBinds(DroverConfig config, List<ConfigError> errors)
    {
        var binds = new List<(string Path, HostPort Bind)>();
        foreach (var listener in config.Listeners) binds.Add(($"{listener.Path}.bind", listener.Bind));
        foreach (var (id, bind) in config.Demo.Instances()) binds.Add(($"drover.demo (backend {id})", bind));
        if (config.Admin.Enabled) binds.Add(("drover.admin.bind", config.Admin.Bind));

        for (var i = 0; i < binds.Count; i++)
        for (var j = 0; j < i; j++)
        {
            var (a, b) = (binds[j].Bind, binds[i].Bind);
            var overlap = a.Port == b.Port && a.Port != 0 &&
                          (a.IsAnyAddress || b.IsAnyAddress || string.Equals(a.Host, b.Host, StringComparison.OrdinalIgnoreCase));
            if (overlap)
                errors.Add(new ConfigError(binds[i].Path, $"{b} clashes with {binds[j].Path} ({a})"));
        }
    }
}
