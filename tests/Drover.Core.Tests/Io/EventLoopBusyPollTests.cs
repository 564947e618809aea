using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Drover.Core.Io;
using Xunit;

namespace Drover.Core.Tests.Io;

/// <summary>drover.io.busy-poll: a loop polls for events for a while before it sleeps.</summary>
public sealed class EventLoopBusyPollTests
{
    private static readonly long Limit = Stopwatch.Frequency / 10_000; // 100 us in Stopwatch ticks

    [Fact]
    public void The_window_opens_when_an_event_came_soon_after_the_loop_went_to_sleep()
    {
        var first = EventLoop.NextPollWindow(0, Limit / 2, Limit);
        Assert.Equal(Limit / 8, first);
        Assert.Equal(Limit / 4, EventLoop.NextPollWindow(first, Limit / 2, Limit));
        Assert.Equal(Limit, EventLoop.NextPollWindow(Limit, 1, Limit)); // never past the limit
    }

    [Fact]
    public void The_window_halves_after_long_sleeps_and_closes_when_events_are_sparse()
    {
        Assert.Equal(Limit / 2, EventLoop.NextPollWindow(Limit, 5 * Limit, Limit));
        var window = Limit;
        for (var i = 0; i < 5; i++) window = EventLoop.NextPollWindow(window, Stopwatch.Frequency, Limit); // one-second gaps
        Assert.Equal(0, window);
        Assert.Equal(Limit, EventLoop.NextPollWindow(Limit, 2 * Limit, Limit)); // between one and four limits: kept
    }

    [Fact]
    public void No_limit_means_no_window()
    {
        Assert.Equal(0, EventLoop.NextPollWindow(Limit, 1, 0));
        Assert.Equal(0, EventLoop.NextPollWindow(0, 1, 0));
    }

    [Fact]
    public async Task A_loop_in_a_quick_exchange_sleeps_between_events_without_busy_polling_and_mostly_not_with_it()
    {
        // One loop of its own, so no other test's traffic counts; its thread stays parked when the test ends.
        var loop = new EventLoop("busy-poll-test", TimeSpan.Zero);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var accepting = listener.AcceptSocketAsync();
        using var client = await LoopSocket.ConnectAsync(loop, (IPEndPoint)listener.LocalEndpoint, CancellationToken.None);
        using var peer = await accepting;
        peer.NoDelay = true;
        // The peer answers every byte at once, from its own thread.
        var echo = new Thread(() =>
        {
            var one = new byte[1];
            try
            {
                while (peer.Receive(one) == 1) peer.Send(one);
            }
            catch (SocketException) { }
            catch (ObjectDisposedException) { }
        }) { IsBackground = true };
        echo.Start();

        const int Exchanges = 300;
        var one = new byte[1];
        // Room for more than the one byte that comes back: a read shorter than its buffer marks the socket drained, so
        // the next receive waits for epoll's event instead of trying recv at once (which could find the echo already
        // there when the echo thread is quick, and then the loop would never sleep at all).
        var buffer = new byte[16];
        async Task<long> SleepsOverExchangesAsync()
        {
            var before = loop.Sleeps;
            for (var i = 0; i < Exchanges; i++)
            {
                await client.SendAsync(one);
                Assert.Equal(1, await client.ReceiveAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
            }
            return loop.Sleeps - before;
        }

        var withoutPolling = await SleepsOverExchangesAsync();
        loop.BusyPoll = TimeSpan.FromMilliseconds(1);
        var withPolling = await SleepsOverExchangesAsync();
        peer.Shutdown(SocketShutdown.Both);

        Assert.True(withoutPolling >= Exchanges / 10, $"without busy polling the loop sleeps waiting for each answer: {withoutPolling} sleeps in {Exchanges} exchanges");
        Assert.True(withPolling < withoutPolling / 2, $"busy polling catches most answers awake: {withPolling} sleeps with it, {withoutPolling} without, in {Exchanges} exchanges");
    }
}
