using Drover.Core.Configuration;

namespace Drover.Node.Configuration;

/// <summary>Reads <c>drover.shutdown { ready-delay, drain-timeout }</c>.</summary>
internal static class ShutdownConfigReader
{
    private static readonly string[] Keys = ["ready-delay", "drain-timeout"];

    public static ShutdownConfig Read(HoconNode node)
    {
        if (!node.Exists) return ShutdownConfig.Default;
        if (!node.IsObject)
        {
            node.Error("must be an object { ready-delay = 2s, drain-timeout = 10s }");
            return ShutdownConfig.Default;
        }
        node.RejectUnknownKeys(Keys);

        // 0 is allowed: no delay (readiness and the listeners' close at the same moment).
        var readyDelay = node.Duration("ready-delay", ShutdownConfig.DefaultReadyDelay);
        if (readyDelay > ShutdownConfig.MaxReadyDelay)
        {
            node.Error("ready-delay", $"{readyDelay.TotalSeconds:0.###}s is longer than the {ShutdownConfig.MaxReadyDelay.TotalSeconds:0}s allowed (a balancer needs a few of its check intervals, not minutes)");
            readyDelay = ShutdownConfig.DefaultReadyDelay;
        }
        var drainTimeout = node.PositiveDuration("drain-timeout", ShutdownConfig.DefaultDrainTimeout);
        if (drainTimeout > ShutdownConfig.MaxDrainTimeout)
        {
            node.Error("drain-timeout", $"{drainTimeout.TotalSeconds:0.###}s is longer than the {ShutdownConfig.MaxDrainTimeout.TotalMinutes:0}m allowed");
            drainTimeout = ShutdownConfig.DefaultDrainTimeout;
        }
        return new ShutdownConfig(readyDelay, drainTimeout);
    }
}
