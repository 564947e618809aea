using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Drover.Node.Tests.Support;

/// <summary>
/// Traffic to one node the way the drills send it: a poller reads <c>/readyz</c> every 100 ms and
/// client loops send requests (a new connection each, like <c>curl</c>) only while the last answer
/// was 200. Beside them a blind prober sends a request every 25 ms whatever readiness says, which
/// shows when the listener really stopped accepting. Times are from <see cref="Start"/>.
/// </summary>
public sealed class ReadinessFollowingLoad(IPEndPoint listener, IPEndPoint admin, int clients = 4) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Stopwatch _clock = new();
    private readonly List<Task> _loops = [];
    private long _firstNotReadyTicks = -1, _firstRefusedTicks = -1, _lastBlindServedTicks = -1;
    private volatile bool _ready;
    private int _sent, _blindServedAfterNotReady;

    /// <summary>Requests by readiness-following clients that did not get a 200 (a refused connection included).</summary>
    public ConcurrentQueue<string> Failures { get; } = new();

    /// <summary>What the blind prober met besides 200s and refusals (a reset from a closing listener, say): reported, not a failure.</summary>
    public ConcurrentQueue<string> BlindOther { get; } = new();

    public int Sent => Volatile.Read(ref _sent);

    /// <summary>Requests the blind prober got answered after the first 503 from <c>/readyz</c>: the listener still served.</summary>
    public int BlindServedAfterNotReady => Volatile.Read(ref _blindServedAfterNotReady);

    public TimeSpan? FirstNotReady => At(ref _firstNotReadyTicks);
    public TimeSpan? FirstRefused => At(ref _firstRefusedTicks);
    public TimeSpan? LastBlindServed => At(ref _lastBlindServedTicks);
    public bool Ready => _ready;

    public void Start()
    {
        _clock.Start();
        _loops.Add(Task.Run(PollReadinessAsync));
        for (var i = 0; i < clients; i++) _loops.Add(Task.Run(ClientAsync));
        _loops.Add(Task.Run(BlindAsync));
    }

    private static TimeSpan? At(ref long ticks) => Volatile.Read(ref ticks) is >= 0 and var t ? TimeSpan.FromTicks(t) : null;

    private void Mark(ref long ticks) => Interlocked.CompareExchange(ref ticks, _clock.Elapsed.Ticks, -1);

    private static HttpClient NewClient() => new(new SocketsHttpHandler { UseCookies = false, ConnectTimeout = TimeSpan.FromSeconds(5) }) { Timeout = TimeSpan.FromSeconds(15) };

    private static HttpRequestMessage Get(string url) => new(HttpMethod.Get, url) { Headers = { ConnectionClose = true } };

    private static bool IsRefused(Exception ex) =>
        ex.GetBaseException() is SocketException { SocketErrorCode: SocketError.ConnectionRefused };

    private async Task PollReadinessAsync()
    {
        using var client = NewClient();
        while (!_stop.IsCancellationRequested)
        {
            bool ready;
            try
            {
                using var response = await client.SendAsync(Get($"http://{admin}/readyz"), _stop.Token);
                ready = response.StatusCode == HttpStatusCode.OK;
            }
            catch (Exception) when (!_stop.IsCancellationRequested)
            {
                ready = false; // the admin endpoint is gone too: certainly not ready
            }
            catch (Exception)
            {
                return; // stopping
            }
            if (!ready && _ready) Mark(ref _firstNotReadyTicks);
            _ready = ready;
            await Task.Delay(100).ConfigureAwait(false);
        }
    }

    private async Task ClientAsync()
    {
        using var client = NewClient();
        while (!_stop.IsCancellationRequested)
        {
            if (!_ready)
            {
                await Task.Delay(20).ConfigureAwait(false);
                continue;
            }
            Interlocked.Increment(ref _sent);
            try
            {
                using var response = await client.SendAsync(Get($"http://{listener}/"), _stop.Token);
                if (response.StatusCode != HttpStatusCode.OK)
                    Failures.Enqueue($"{_clock.Elapsed.TotalSeconds:0.000}s: {(int)response.StatusCode}");
            }
            catch (Exception ex) when (!_stop.IsCancellationRequested)
            {
                Failures.Enqueue($"{_clock.Elapsed.TotalSeconds:0.000}s: {(IsRefused(ex) ? "refused" : ex.GetBaseException().Message)}");
            }
            catch (Exception)
            {
                return; // stopping
            }
        }
    }

    private async Task BlindAsync()
    {
        using var client = NewClient();
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                using var response = await client.SendAsync(Get($"http://{listener}/"), _stop.Token);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    if (FirstRefused is null) Volatile.Write(ref _lastBlindServedTicks, _clock.Elapsed.Ticks);
                    if (FirstNotReady is not null) Interlocked.Increment(ref _blindServedAfterNotReady);
                }
                else BlindOther.Enqueue($"{_clock.Elapsed.TotalSeconds:0.000}s: {(int)response.StatusCode}");
            }
            catch (Exception ex) when (!_stop.IsCancellationRequested)
            {
                if (IsRefused(ex)) Mark(ref _firstRefusedTicks);
                else BlindOther.Enqueue($"{_clock.Elapsed.TotalSeconds:0.000}s: {ex.GetBaseException().Message}");
            }
            catch (Exception)
            {
                return; // stopping
            }
            await Task.Delay(25).ConfigureAwait(false);
        }
    }

    /// <summary>One line for the test output.</summary>
    public override string ToString() =>
        $"{Sent} requests by readiness-following clients, {Failures.Count} failed; /readyz 503 at {Fmt(FirstNotReady)}, " +
        $"listener last served at {Fmt(LastBlindServed)} and refused from {Fmt(FirstRefused)}; blind prober served {BlindServedAfterNotReady} after the 503, " +
        $"{BlindOther.Count} other outcomes ({string.Join("; ", BlindOther.Take(3))})";

    private static string Fmt(TimeSpan? t) => t is { } v ? $"{v.TotalSeconds:0.000} s" : "never";

    public async Task StopAsync()
    {
        _stop.Cancel();
        await Task.WhenAll(_loops);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested) await StopAsync();
        _stop.Dispose();
    }
}
