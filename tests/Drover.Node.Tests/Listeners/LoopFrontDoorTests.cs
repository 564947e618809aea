using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Drover.Core.Buffers;
using Drover.Core.Io;
using Drover.Node.Io;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging.Abstractions;

namespace Drover.Node.Tests.Listeners;

/// <summary>
/// The epoll engine's front door (<see cref="LoopConnectionListener"/> with an <see cref="IConnectionFrontDoor"/>):
/// connections it serves never reach Kestrel's accept loop, the ones it hands over reach it with their
/// bytes unread, and stopping the listener drains its connections as Kestrel drains its own.
/// </summary>
public sealed class LoopFrontDoorTests
{
    private static readonly BlockMemoryPool Pool = new(4096, 64);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_connection_the_front_door_serves_is_served_on_its_loop_and_never_reaches_Kestrel()
    {
        var door = new FrontDoor(async (connection, _) =>
        {
            var line = await ReadLineAsync(connection.Transport.Input);
            await connection.Transport.Output.WriteAsync(Encoding.ASCII.GetBytes($"served {line} on a loop: {EventLoop.Current is not null}\n"));
            return false;
        });
        await using var listener = Listen(door);
        var kestrelAccept = listener.AcceptAsync().AsTask();

        using var client = await ConnectAsync(listener);
        await client.SendAsync(Encoding.ASCII.GetBytes("hello\n"));
        Assert.Equal("served hello on a loop: True\n", await ReadToEndAsync(client)); // then the end of the stream: the connection closed

        Assert.Equal(0, door.DroppedCount);
        await WaitUntilAsync(() => listener.Serving == 0);
        await Task.Delay(100);
        Assert.False(kestrelAccept.IsCompleted, "Kestrel's accept returned a connection the front door served");
    }

    [Fact]
    public async Task A_connection_handed_over_reaches_Kestrel_with_its_bytes_unread()
    {
        var door = new FrontDoor(async (connection, _) =>
        {
            // Look at the first bytes and leave them unread, as the fast path does with what it does not serve.
            var read = await connection.Transport.Input.ReadAsync();
            connection.Transport.Input.AdvanceTo(read.Buffer.Start);
            return true;
        });
        await using var listener = Listen(door);

        using var client = await ConnectAsync(listener);
        await client.SendAsync(Encoding.ASCII.GetBytes("PRI * HTTP/2.0\n"));
        var connection = await listener.AcceptAsync().AsTask().WaitAsync(Patience);
        Assert.NotNull(connection);

        Assert.Equal("PRI * HTTP/2.0", await ReadLineAsync(connection.Transport.Input));
        await connection.Transport.Output.WriteAsync(Encoding.ASCII.GetBytes("kestrel\n"));
        await connection.DisposeAsync();
        Assert.Equal("kestrel\n", await ReadToEndAsync(client));
        Assert.Equal(0, door.DroppedCount);
        Assert.Equal(0, listener.Serving);
    }

    [Fact]
    public async Task Stopping_asks_served_connections_to_close_and_waits_until_they_have()
    {
        var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var door = new FrontDoor(async (connection, closeRequested) =>
        {
            await ReadLineAsync(connection.Transport.Input);
            waiting.TrySetResult();
            await Task.Delay(Timeout.Infinite, closeRequested).ContinueWith(_ => { }); // a response in flight until asked to close
            await Task.Delay(200); // ... that takes a little longer to finish
            await connection.Transport.Output.WriteAsync(Encoding.ASCII.GetBytes("finished\n"));
            return false;
        });
        var listener = Listen(door);
        using var client = await ConnectAsync(listener);
        await client.SendAsync(Encoding.ASCII.GetBytes("request\n"));
        await waiting.Task.WaitAsync(Patience);

        using var deadline = new CancellationTokenSource(Patience);
        await listener.UnbindAsync(deadline.Token);
        Assert.Null(await listener.AcceptAsync().AsTask().WaitAsync(Patience)); // Kestrel's accept loop ends
        await listener.DisposeAsync().AsTask().WaitAsync(Patience);

        Assert.Equal(0, listener.Serving);
        Assert.Equal("finished\n", await ReadToEndAsync(client));
        await Assert.ThrowsAsync<SocketException>(() => ConnectAsync(listener)); // no longer listening
    }

    [Fact]
    public async Task Stopping_wakes_a_connection_idle_in_a_read()
    {
        // As the fast path waits for a keep-alive connection's next request: blocked in a read, no
        // registration on the close token. The listener cancels that read when it asks for the close.
        var reading = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var door = new FrontDoor(async (connection, closeRequested) =>
        {
            var pending = connection.Transport.Input.ReadAsync();
            reading.TrySetResult();
            var read = await pending;
            var woken = read.IsCanceled && read.Buffer.IsEmpty && closeRequested.IsCancellationRequested;
            connection.Transport.Input.AdvanceTo(read.Buffer.Start);
            await connection.Transport.Output.WriteAsync(Encoding.ASCII.GetBytes($"woken: {woken}\n"));
            return false;
        });
        var listener = Listen(door);
        using var client = await ConnectAsync(listener);
        await reading.Task.WaitAsync(Patience);

        using var deadline = new CancellationTokenSource(Patience);
        await listener.UnbindAsync(deadline.Token);
        await listener.DisposeAsync().AsTask().WaitAsync(Patience);

        Assert.Equal("woken: True\n", await ReadToEndAsync(client));
    }

    [Fact]
    public async Task Connections_still_open_at_the_stop_deadline_are_aborted()
    {
        var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var door = new FrontDoor(async (connection, _) =>
        {
            // Ignores the close request: reads until the connection itself ends.
            waiting.TrySetResult();
            while (true)
            {
                var read = await connection.Transport.Input.ReadAsync();
                connection.Transport.Input.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted) return false;
            }
        });
        var listener = Listen(door);
        using var client = await ConnectAsync(listener);
        await waiting.Task.WaitAsync(Patience);

        await listener.UnbindAsync(new CancellationToken(canceled: true)); // no grace
        await listener.DisposeAsync().AsTask().WaitAsync(Patience);

        Assert.Equal(0, listener.Serving);
        Assert.Equal("", await ReadToEndAsync(client));
    }

    [Fact]
    public async Task A_connection_handed_over_after_the_listener_stopped_accepting_is_closed_and_reported()
    {
        var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var door = new FrontDoor(async (connection, closeRequested) =>
        {
            waiting.TrySetResult();
            await Task.Delay(Timeout.Infinite, closeRequested).ContinueWith(_ => { });
            return true; // wants Kestrel, which no longer accepts
        });
        var listener = Listen(door);
        using var client = await ConnectAsync(listener);
        await waiting.Task.WaitAsync(Patience);

        using var deadline = new CancellationTokenSource(Patience);
        await listener.UnbindAsync(deadline.Token);
        await listener.DisposeAsync().AsTask().WaitAsync(Patience);

        Assert.Equal(1, door.DroppedCount);
        Assert.Equal("", await ReadToEndAsync(client));
    }

    [Fact]
    public async Task A_door_that_receives_on_demand_serves_a_request_that_came_with_its_connection_without_epoll_watching_it()
    {
        // As the fast path does: take the request that is already in, pause the receive loop while the
        // response is made (a backend's answer), resume before waiting for the next request.
        var loops = new EventLoopGroup(1); // its own loop: the registered count is this test's alone
        var counts = new List<int>();
        var door = new FrontDoor(async (connection, _) =>
        {
            var input = connection.Transport.Input;
            var receive = (IReceivePauseFeature)connection;
            for (var request = 1; ; request++)
            {
                if (!input.TryRead(out var read))
                {
                    receive.ResumeReceiving();
                    read = await input.ReadAsync();
                }
                if (read.IsCompleted && read.Buffer.IsEmpty) return false;
                var line = ReadLine(input, read);
                receive.PauseReceiving();
                await Task.Delay(100); // the backend
                lock (counts) counts.Add(loops.Registered);
                await connection.Transport.Output.WriteAsync(Encoding.ASCII.GetBytes($"{line} {request}\n"));
                if (line == "close") return false;
            }
        }, receivesOnDemand: true);
        await using var listener = new LoopConnectionListener(new IPEndPoint(IPAddress.Loopback, 0), loops, Pool, NullLogger.Instance, door);
        Assert.Equal(1, loops.Registered); // the listening socket

        // The loop is held while the client connects and sends, so the request is in when the connection is accepted.
        using (var client = await ConnectHeldAsync(loops.Loops[0], listener, "close\n"))
        {
            Assert.Equal("close 1\n", await ReadToEndAsync(client));
        }
        using (var client = await ConnectHeldAsync(loops.Loops[0], listener, "keep\n"))
        {
            Assert.Equal("keep 1\n", await ReadSomeAsync(client));
            await WaitUntilAsync(() => loops.Registered == 2); // waiting for its next request, the socket joined epoll
            await client.SendAsync(Encoding.ASCII.GetBytes("close\n"));
            Assert.Equal("close 2\n", await ReadToEndAsync(client));
        }
        await WaitUntilAsync(() => listener.Serving == 0 && loops.Registered == 1);
        lock (counts)
        {
            // While a connection's first request was answered, its socket was not on the loop; while its second one was, it was.
            Assert.Equal([1, 1, 2], counts);
        }
    }

    [Fact]
    public async Task A_direct_send_waits_until_everything_queued_in_the_output_pipe_has_been_sent()
    {
        var payload = new byte[32 * 1024 * 1024];
        new Random(5).NextBytes(payload);
        var whileQueued = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var withAStaleCount = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var door = new FrontDoor(async (connection, _) =>
        {
            var direct = (IDirectSendFeature)connection;
            await ReadLineAsync(connection.Transport.Input);
            // 32 MiB through the pipe: more than the socket takes while the client reads nothing, so the send loop waits with it
            // (and so does this flush, past the pipe's pause threshold).
            var flushing = connection.Transport.Output.WriteAsync(payload);
            whileQueued.TrySetResult(direct.TrySendDirect(payload.Length, "early"u8, default));
            await flushing;
            // The client has read enough for the flush to return; once the pipe is drained, a direct send goes out after its bytes.
            var until = DateTime.UtcNow + Patience;
            while (direct.TrySendDirect(payload.Length, "tail"u8, "\n"u8) < 0)
            {
                if (DateTime.UtcNow > until) throw new TimeoutException("the pipe never drained");
                await Task.Delay(5);
            }
            withAStaleCount.TrySetResult(direct.TrySendDirect(0, "stale"u8, default));
            return false;
        });
        await using var listener = Listen(door);
        using var client = await ConnectAsync(listener);
        await client.SendAsync(Encoding.ASCII.GetBytes("go\n"));

        Assert.Equal(-1, await whileQueued.Task.WaitAsync(Patience));
        var received = new MemoryStream();
        var buffer = new byte[64 * 1024];
        using var deadline = new CancellationTokenSource(Patience);
        while (true)
        {
            var n = await client.ReceiveAsync(buffer, SocketFlags.None, deadline.Token);
            if (n == 0) break;
            received.Write(buffer, 0, n);
        }
        Assert.Equal(-1, await withAStaleCount.Task.WaitAsync(Patience));
        Assert.Equal(payload.Length + 5, received.Length);
        Assert.True(payload.AsSpan().SequenceEqual(received.GetBuffer().AsSpan(0, payload.Length)), "the pipe's bytes arrived changed or out of order");
        Assert.Equal("tail\n", Encoding.ASCII.GetString(received.GetBuffer(), payload.Length, 5));
    }

    /// <summary>Connects and sends <paramref name="request"/> while <paramref name="loop"/> is held, then lets it accept.</summary>
    private static async Task<Socket> ConnectHeldAsync(EventLoop loop, LoopConnectionListener listener, string request)
    {
        using var hold = await HoldAsync(loop);
        var client = await ConnectAsync(listener);
        await client.SendAsync(Encoding.ASCII.GetBytes(request));
        await Task.Delay(50);
        return client;
    }

    /// <summary>Blocks <paramref name="loop"/>'s thread (in a continuation it runs inline) until the returned value is disposed.</summary>
    private static async Task<IDisposable> HoldAsync(EventLoop loop)
    {
        using var listening = new TcpListener(IPAddress.Loopback, 0);
        listening.Start();
        var socket = await LoopSocket.ConnectAsync(loop, (IPEndPoint)listening.LocalEndpoint, CancellationToken.None);
        var peer = await listening.AcceptSocketAsync();
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var receiving = socket.ReceiveAsync(new byte[1]);
        Assert.False(receiving.IsCompleted);
        _ = BlockAsync();
        await peer.SendAsync(new byte[] { 1 });
        await held.Task.WaitAsync(Patience);
        return new Hold(release, socket, peer);

        async Task BlockAsync()
        {
            await receiving.ConfigureAwait(false); // continues inline on the loop thread that saw the byte
            held.TrySetResult();
            release.Task.Wait(Patience); // the loop handles no event until released
        }
    }

    private sealed class Hold(TaskCompletionSource release, LoopSocket socket, Socket peer) : IDisposable
    {
        public void Dispose()
        {
            release.TrySetResult();
            socket.Dispose();
            peer.Dispose();
        }
    }

    private static string ReadLine(PipeReader input, ReadResult read)
    {
        var buffer = read.Buffer;
        var end = buffer.PositionOf((byte)'\n') ?? throw new InvalidOperationException("no whole line");
        var line = Encoding.ASCII.GetString(buffer.Slice(0, end));
        input.AdvanceTo(buffer.GetPosition(1, end));
        return line;
    }

    private static async Task<string> ReadSomeAsync(Socket client)
    {
        using var deadline = new CancellationTokenSource(Patience);
        var buffer = new byte[256];
        var n = await client.ReceiveAsync(buffer, SocketFlags.None, deadline.Token);
        return Encoding.ASCII.GetString(buffer, 0, n);
    }

    private static LoopConnectionListener Listen(IConnectionFrontDoor door) =>
        new(new IPEndPoint(IPAddress.Loopback, 0), EventLoopGroup.Shared, Pool, NullLogger.Instance, door);

    private static async Task<Socket> ConnectAsync(LoopConnectionListener listener)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(listener.EndPoint);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static async Task<string> ReadLineAsync(PipeReader input)
    {
        while (true)
        {
            var read = await input.ReadAsync();
            var buffer = read.Buffer;
            if (buffer.PositionOf((byte)'\n') is { } end)
            {
                var line = Encoding.ASCII.GetString(buffer.Slice(0, end));
                input.AdvanceTo(buffer.GetPosition(1, end));
                return line;
            }
            if (read.IsCompleted) throw new InvalidOperationException("the connection ended before a line");
            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static async Task<string> ReadToEndAsync(Socket client)
    {
        using var deadline = new CancellationTokenSource(Patience);
        var text = new StringBuilder();
        var buffer = new byte[256];
        while (true)
        {
            int n;
            try
            {
                n = await client.ReceiveAsync(buffer, SocketFlags.None, deadline.Token);
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
            {
                return text.ToString();
            }
            if (n == 0) return text.ToString();
            text.Append(Encoding.ASCII.GetString(buffer, 0, n));
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var until = DateTime.UtcNow + Patience;
        while (!condition())
        {
            if (DateTime.UtcNow > until) throw new TimeoutException("condition not met");
            await Task.Delay(10);
        }
    }

    private sealed class FrontDoor(Func<ConnectionContext, CancellationToken, Task<bool>> serve, bool receivesOnDemand = false) : IConnectionFrontDoor
    {
        private int _dropped;

        public bool ReceivesOnDemand => receivesOnDemand;

        public int DroppedCount => Volatile.Read(ref _dropped);

        public async ValueTask<bool> ServeAsync(ConnectionContext connection, CancellationToken closeRequested) => await serve(connection, closeRequested);

        public void Dropped(ConnectionContext connection) => Interlocked.Increment(ref _dropped);
    }
}
