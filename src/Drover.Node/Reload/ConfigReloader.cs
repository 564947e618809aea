using Akka.Actor;
using Drover.Core.Configuration;
using Drover.Node.Hosting;
using Drover.Node.LoadBalancing;
using Microsoft.Extensions.Logging;

namespace Drover.Node.Reload;

/// <summary>
/// Reloads the <c>drover</c> section: reads the node's config file again with the loader and
/// validator of start-up (same environment overrides), and hands a valid result to the load
/// balancer actor, which applies it or rejects it whole. One reload at a time, whatever triggered
/// it (<c>lb reload</c>, SIGHUP, the file watcher). A rejected config leaves the running one as it
/// is. Akka's settings are never reloaded: a change there is reported as needing a restart.
/// </summary>
public sealed class ConfigReloader
{
    public const string AkkaNeedsRestart = "the akka section changed: akka section changes need a restart (not applied)";
    private static readonly TimeSpan ApplyTimeout = TimeSpan.FromSeconds(30);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ILogger _log;
    private NodeConfiguration _current;
    private string? _lastText;
    private IActorRef? _loadBalancer;

    public ConfigReloader(NodeConfiguration config, DroverRuntime runtime, ILogger log)
    {
        _current = config;
        _log = log;
        _lastText = ReadQuietly(config.File);
        runtime.Reloader = this;
    }

    /// <summary>The file a reload reads; null for a node not started from a file.</summary>
    public string? File => _current.File;

    internal void Attach(IActorRef loadBalancer) => Volatile.Write(ref _loadBalancer, loadBalancer);

    /// <summary>Reads the config file again and applies it.</summary>
    /// <param name="trigger">Named in the log: <c>lb reload</c>, <c>SIGHUP</c>, <c>file change</c>.</param>
    /// <param name="onlyIfChanged">The watcher's case: a file whose text is what was last loaded is left alone (editors write twice, touch...).</param>
    public async Task<ReloadOutcome> ReloadAsync(string trigger, bool onlyIfChanged = false, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_current.File is not { } file)
                return Rejected(trigger, new ConfigError("--config", "this node was not started from a config file; there is nothing to reload"));
            string text;
            NodeConfiguration next;
            try
            {
                text = await System.IO.File.ReadAllTextAsync(file, cancellationToken).ConfigureAwait(false);
                if (onlyIfChanged && text == _lastText) return new ReloadOutcome(true, "no changes", [], []);
                next = ConfigLoader.Load(file, _current.Environment);
            }
            catch (ConfigException ex)
            {
                return Rejected(trigger, ex.Errors.ToArray());
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return Rejected(trigger, new ConfigError("--config", $"cannot read '{file}': {ex.Message}"));
            }
            var outcome = await ApplyCoreAsync(next, trigger).ConfigureAwait(false);
            if (outcome.Applied) _lastText = text;
            return outcome;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Applies a configuration built elsewhere (tests, or a future remote push): everything a reload does after reading the file.</summary>
    public async Task<ReloadOutcome> ApplyAsync(NodeConfiguration next, string trigger, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await ApplyCoreAsync(next, trigger).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<ReloadOutcome> ApplyCoreAsync(NodeConfiguration next, string trigger)
    {
        if (Volatile.Read(ref _loadBalancer) is not { } loadBalancer)
            return Rejected(trigger, new ConfigError("drover", "the node is still starting; reload again in a moment"));

        LoadBalancerProtocol.ReloadResult result;
        try
        {
            result = await loadBalancer.Ask<LoadBalancerProtocol.ReloadResult>(new LoadBalancerProtocol.Reload(next.Drover), ApplyTimeout).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AskTimeoutException or TaskCanceledException)
        {
            return Rejected(trigger, new ConfigError("drover", $"the load balancer did not answer within {ApplyTimeout.TotalSeconds:0} s (is the node shutting down?)"));
        }
        if (!result.Applied) return Rejected(trigger, result.Errors.ToArray());

        var notes = new List<string>();
        if (AkkaText(_current) != AkkaText(next))
        {
            notes.Add(AkkaNeedsRestart);
            _log.LogWarning("reload ({Trigger}): {Note}", trigger, AkkaNeedsRestart);
        }
        // The akka part stays what the node runs with, so the note repeats until a restart.
        // drover.shutdown too: the ready delay and drain were armed at start.
        _current = next with { Hocon = _current.Hocon, Drover = next.Drover with { Shutdown = _current.Drover.Shutdown }, Sessions = _current.Sessions };
        return new ReloadOutcome(true, result.Summary, [], notes);
    }

    private ReloadOutcome Rejected(string trigger, params ConfigError[] errors)
    {
        var outcome = ReloadOutcome.Rejected(errors);
        _log.LogError("reload ({Trigger}): rejected, the running config stays: {Errors}", trigger, outcome.ErrorText);
        return outcome;
    }

    private static string AkkaText(NodeConfiguration config) =>
        config.Hocon.HasPath("akka") ? config.Hocon.GetConfig("akka").Root.ToString() : "";

    private static string? ReadQuietly(string? file)
    {
        if (file is null) return null;
        try
        {
            return System.IO.File.ReadAllText(file);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
