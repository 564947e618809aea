using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Drover.Core.Io;
using Xunit;

namespace Drover.Core.Tests.Io;

/// <summary>The epoll-driven socket against real loopback peers (.NET sockets on the other end).</summary>
public sealed class LoopSocketTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly EventLoopGroup _loops = EventLoopGroup.Shared;
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

    public LoopSocketTests()
    {
        _listener.Start(); // Linux only, as the engine (CI runs on Linux)
    }

    public void Dispose() => _listener.Stop();

    private IPEndPoint ListenerEndPoint => (IPEndPoint)_listener.LocalEndpoint;

    private async Task<(LoopSocket Client, Socket Server)> ConnectPairAsync()
    {
        var accepting = _listener.AcceptSocketAsync();
        var client = await LoopSocket.ConnectAsync(_loops.Next(), ListenerEndPoint, CancellationToken.None).AsTask().WaitAsync(Timeout);
        var server = await accepting.WaitAsync(Timeout);
        return (client, server);
    }

    [Fact]
    public async Task Bytes_flow_both_ways_and_a_close_reads_as_zero()
    {
        var (client, server) = await ConnectPairAsync();
        using var _ = client;
        using var __ = server;

        await client.SendAsync("ping"u8.ToArray(), CancellationToken.None).AsTask().WaitAsync(Timeout);
        var buffer = new byte[16];
        var n = await server.ReceiveAsync(buffer).WaitAsync(Timeout);
        Assert.Equal("ping", Encoding.ASCII.GetString(buffer, 0, n));

        // The loop has seen no data yet: the receive waits for the event (no data is there to take).
        var receiving = client.ReceiveAsync(buffer, CancellationToken.None).AsTask();
        await Task.Delay(100);
        Assert.False(receiving.IsCompleted);
        await server.SendAsync("pong"u8.ToArray());
        n = await receiving.WaitAsync(Timeout);
        Assert.Equal("pong", Encoding.ASCII.GetString(buffer, 0, n));

        server.Shutdown(SocketShutdown.Send);
        Assert.Equal(0, await client.ReceiveAsync(buffer, CancellationToken.None).AsTask().WaitAsync(Timeout));
    }

    [Fact]
    public async Task A_receive_now_takes_what_has_arrived_and_never_waits()
    {
        var (client, server) = await ConnectPairAsync();
        using var clientSocket = client;
        using var serverSocket = server;
        var buffer = new byte[8];

        // Nothing there: false at once, and the socket is known drained (MayBeReadable false) after it.
        Assert.False(client.TryReceiveNow(buffer, out _));
        Assert.False(client.MayBeReadable);

        await server.SendAsync("0123456789"u8.ToArray());
        await client.WaitReadableAsync().AsTask().WaitAsync(Timeout);
        Assert.True(client.TryReceiveNow(buffer, out var first));
        Assert.Equal(8, first);
        Assert.True(client.MayBeReadable); // a full read: there may be more
        Assert.True(client.TryReceiveNow(buffer, out var second));
        Assert.Equal("89", Encoding.ASCII.GetString(buffer, 0, second));
        Assert.False(client.MayBeReadable); // a short read: drained until epoll says otherwise
        Assert.False(client.TryReceiveNow(buffer, out _));

        server.Shutdown(SocketShutdown.Send);
        await client.WaitReadableAsync().AsTask().WaitAsync(Timeout);
        Assert.True(client.TryReceiveNow(buffer, out var end));
        Assert.Equal(0, end);
    }

    [Fact]
    public async Task A_send_larger_than_the_socket_buffers_waits_for_room_and_arrives_whole()
    {
        var (client, server) = await ConnectPairAsync();
        using var _ = client;
        using var __ = server;
        var data = new byte[8 * 1024 * 1024];
        new Random(7).NextBytes(data);

        var sending = client.SendAsync(data, CancellationToken.None).AsTask();
        await Task.Delay(200);
        Assert.False(sending.IsCompleted); // 8 MiB do not fit the kernel's buffers: the send waits for EPOLLOUT

        var received = await ReceiveAllAsync(server, data.Length).WaitAsync(Timeout);
        await sending.WaitAsync(Timeout);
        Assert.True(data.AsSpan().SequenceEqual(received));
    }

    [Fact]
    public async Task Receives_in_small_pieces_take_everything_that_arrived_in_one_event()
    {
        var (client, server) = await ConnectPairAsync();
        using var _ = client;
        using var __ = server;
        var data = new byte[10_000];
        new Random(3).NextBytes(data);
        await server.SendAsync(data);

        // Each receive fills its 1,000-byte buffer, so the socket is never taken as drained until the end:
        // the edge-triggered event came once, and every byte must still be read.
        var received = new MemoryStream();
        var buffer = new byte[1000];
        while (received.Length < data.Length)
        {
            var n = await client.ReceiveAsync(buffer, CancellationToken.None).AsTask().WaitAsync(Timeout);
            received.Write(buffer, 0, n);
        }
        Assert.True(data.AsSpan().SequenceEqual(received.ToArray()));
    }

    [Fact]
    public async Task A_cancelled_receive_throws_and_the_socket_still_receives_afterwards()
    {
        var (client, server) = await ConnectPairAsync();
        using var _ = client;
        using var __ = server;
        var buffer = new byte[16];
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.ReceiveAsync(buffer, cancel.Token).AsTask().WaitAsync(Timeout));

        await server.SendAsync("later"u8.ToArray());
        var n = await client.ReceiveAsync(buffer, CancellationToken.None).AsTask().WaitAsync(Timeout);
        Assert.Equal("later", Encoding.ASCII.GetString(buffer, 0, n));
    }

    [Fact]
    public async Task Disposing_wakes_a_waiting_receive()
    {
        var (client, server) = await ConnectPairAsync();
        using var __ = server;
        var receiving = client.ReceiveAsync(new byte[16], CancellationToken.None).AsTask();
        await Task.Delay(50);
        client.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => receiving.WaitAsync(Timeout));
    }

    [Fact]
    public async Task Connects_over_IPv6_and_reports_the_local_address()
    {
        using var listener6 = new TcpListener(IPAddress.IPv6Loopback, 0);
        listener6.Start();
        var accepting = listener6.AcceptSocketAsync();
        using var client = await LoopSocket.ConnectAsync(_loops.Next(), (IPEndPoint)listener6.LocalEndpoint, CancellationToken.None).AsTask().WaitAsync(Timeout);
        using var server = await accepting.WaitAsync(Timeout);
        var local = Assert.IsType<IPEndPoint>(client.LocalEndPoint);
        Assert.Equal(IPAddress.IPv6Loopback, local.Address);
        Assert.Equal(((IPEndPoint)server.RemoteEndPoint!).Port, local.Port);
        await client.SendAsync(new byte[] { 6 }, CancellationToken.None);
        var buffer = new byte[1];
        Assert.Equal(1, await server.ReceiveAsync(buffer).WaitAsync(Timeout));
        Assert.Equal(6, buffer[0]);
    }

    [Fact]
    public async Task A_connect_to_a_closed_port_is_refused()
    {
        var port = ListenerEndPoint.Port;
        _listener.Stop();
        var ex = await Assert.ThrowsAsync<SocketException>(() =>
            LoopSocket.ConnectAsync(_loops.Next(), new IPEndPoint(IPAddress.Loopback, port), CancellationToken.None).AsTask().WaitAsync(Timeout));
        Assert.Equal(SocketError.ConnectionRefused, ex.SocketErrorCode);
    }

    /// <summary>A loopback listening socket and the loop socket that accepts on it.</summary>
    private (Socket Listening, LoopSocket Accepting) Listen()
    {
        var listening = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listening.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listening.Listen(64);
        return (listening, LoopSocket.FromListening(_loops.Next(), listening));
    }

    [Fact]
    public async Task A_listening_socket_accepts_connections_with_their_remote_address()
    {
        var (listening, accepting) = Listen();
        using var _ = listening;
        using var __ = accepting;

        var clients = new List<Socket>();
        try
        {
            for (var i = 0; i < 20; i++)
            {
                var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                clients.Add(client);
                await client.ConnectAsync(listening.LocalEndPoint!);
                var (handle, remote) = await accepting.AcceptAsync().AsTask().WaitAsync(Timeout);
                using var accepted = LoopSocket.FromAccepted(_loops.Next(), handle);
                Assert.Equal(((IPEndPoint)client.LocalEndPoint!).Port, remote!.Port);
                await client.SendAsync(new[] { (byte)i });
                var buffer = new byte[4];
                Assert.Equal(1, await accepted.ReceiveAsync(buffer, CancellationToken.None).AsTask().WaitAsync(Timeout));
                Assert.Equal(i, buffer[0]);
            }
        }
        finally
        {
            foreach (var client in clients) client.Dispose();
        }
    }

    [Fact]
    public async Task Accepted_sockets_have_nagle_off_without_a_setsockopt_each()
    {
        // The listening socket carries TCP_NODELAY and Linux copies it to each accepted socket; the first
        // accept checks that it did (and sets it on each one where it would not).
        var (listening, accepting) = Listen();
        using var _ = listening;
        using var __ = accepting;
        Assert.True(listening.NoDelay);
        for (var i = 0; i < 3; i++)
        {
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await client.ConnectAsync(listening.LocalEndPoint!);
            var (handle, _) = await accepting.AcceptAsync().AsTask().WaitAsync(Timeout);
            using var accepted = LoopSocket.FromAccepted(_loops.Next(), handle);
            using var view = new Socket(new SafeSocketHandle(handle.DangerousGetHandle(), ownsHandle: false));
            Assert.True(view.NoDelay, $"accepted socket {i} has Nagle's algorithm on");
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_listening_socket_that_delays_acks_passes_quick_acks_off_to_accepted_sockets(bool delayAcks)
    {
        using var listening = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listening.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listening.Listen(64);
        using var accepting = LoopSocket.FromListening(_loops.Next(), listening, delayAcks);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listening.LocalEndPoint!);
        var (handle, _) = await accepting.AcceptAsync().AsTask().WaitAsync(Timeout);
        using var accepted = LoopSocket.FromAccepted(_loops.Next(), handle);
        using var view = new Socket(new SafeSocketHandle(handle.DangerousGetHandle(), ownsHandle: false));
        var quickAck = new byte[4];
        view.GetRawSocketOption(6 /* IPPROTO_TCP */, 12 /* TCP_QUICKACK */, quickAck);
        // Off: the kernel lets the ACK of a request ride on its response rather than sending one at once.
        Assert.Equal(delayAcks ? 0 : 1, BitConverter.ToInt32(quickAck));
    }

    [Fact]
    public async Task Acknowledging_now_takes_a_socket_out_of_delayed_ack_mode()
    {
        var (client, server) = await ConnectPairAsync();
        using var _ = client;
        using var __ = server;
        using var view = new Socket(new SafeSocketHandle(client.Handle.DangerousGetHandle(), ownsHandle: false));
        var option = new byte[4];
        int QuickAck()
        {
            view.GetRawSocketOption(6 /* IPPROTO_TCP */, 12 /* TCP_QUICKACK */, option);
            return BitConverter.ToInt32(option);
        }
        // Put it where a kept-alive backend connection ends up: delayed ACKs (an ACK waits up to 40 ms for data to ride on).
        view.SetRawSocketOption(6, 12, BitConverter.GetBytes(0));
        Assert.Equal(0, QuickAck());

        client.AcknowledgeNow();

        Assert.Equal(1, QuickAck());
        client.Dispose();
        client.AcknowledgeNow(); // closed: nothing to acknowledge, no exception
    }

    // A loop of its own, so that its count of registered sockets is this class's alone.
    private static readonly EventLoop OwnLoop = new EventLoopGroup(1).Loops[0];

    [Fact]
    public async Task An_accepted_socket_that_joins_epoll_when_waiting_reads_what_is_there_without_it_and_misses_nothing_after()
    {
        var (listening, accepting) = Listen();
        using var _ = listening;
        using var __ = accepting;
        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await peer.ConnectAsync(listening.LocalEndPoint!);
        await peer.SendAsync("first"u8.ToArray());
        await Task.Delay(50);
        var (handle, _) = await accepting.AcceptAsync().AsTask().WaitAsync(Timeout);
        var registered = OwnLoop.Registered;

        using var accepted = LoopSocket.FromAccepted(OwnLoop, handle, registerWhenWaiting: true);
        Assert.True(accepted.MayBeReadable);
        var buffer = new byte[16];
        var first = accepted.ReceiveAsync(buffer);
        Assert.True(first.IsCompletedSuccessfully, "the bytes already there were not read at once");
        Assert.Equal("first", Encoding.ASCII.GetString(buffer, 0, first.Result));
        Assert.False(accepted.MayBeReadable); // a short read drained it
        Assert.Equal(registered, OwnLoop.Registered); // it never had to wait

        var second = accepted.ReceiveAsync(buffer).AsTask();
        Assert.Equal(registered + 1, OwnLoop.Registered); // waiting, it joined
        await peer.SendAsync("second"u8.ToArray());
        Assert.Equal("second", Encoding.ASCII.GetString(buffer, 0, await second.WaitAsync(Timeout)));
        peer.Shutdown(SocketShutdown.Send);
        Assert.Equal(0, await accepted.ReceiveAsync(buffer).AsTask().WaitAsync(Timeout));

        accepted.Dispose();
        Assert.Equal(registered, OwnLoop.Registered);
    }

    [Fact]
    public async Task An_accepted_socket_that_joins_epoll_when_waiting_joins_when_its_send_buffer_is_full()
    {
        var (listening, accepting) = Listen();
        using var _ = listening;
        using var __ = accepting;
        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await peer.ConnectAsync(listening.LocalEndPoint!);
        var (handle, _) = await accepting.AcceptAsync().AsTask().WaitAsync(Timeout);
        var registered = OwnLoop.Registered;
        using var accepted = LoopSocket.FromAccepted(OwnLoop, handle, registerWhenWaiting: true);

        var data = new byte[16 * 1024 * 1024]; // more than loopback's buffers hold: the send must wait for the peer
        new Random(7).NextBytes(data);
        var sending = accepted.SendAsync(data, CancellationToken.None).AsTask();
        Assert.False(sending.IsCompleted);
        Assert.Equal(registered + 1, OwnLoop.Registered);

        var received = new byte[data.Length];
        var total = 0;
        while (total < data.Length) total += await peer.ReceiveAsync(received.AsMemory(total)).AsTask().WaitAsync(Timeout);
        await sending.WaitAsync(Timeout);
        Assert.Equal(data, received);
    }

    [Fact]
    public async Task Data_and_the_peers_close_reported_in_one_event_read_as_the_data_then_zero()
    {
        // The peer sends and half-closes before the socket is registered, so epoll reports both in
        // one event (a fast client of a TCP listener does exactly this). The short read that takes
        // the data must not count as "drained": no further event will come for the end of stream.
        var (listening, accepting) = Listen();
        using var _ = listening;
        using var __ = accepting;
        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await peer.ConnectAsync(listening.LocalEndPoint!);
        await peer.SendAsync("ping"u8.ToArray());
        peer.Shutdown(SocketShutdown.Send);
        await Task.Delay(100);

        var (handle, _) = await accepting.AcceptAsync().AsTask().WaitAsync(Timeout);
        using var accepted = LoopSocket.FromAccepted(_loops.Next(), handle);
        var buffer = new byte[16];
        Assert.Equal(4, await accepted.ReceiveAsync(buffer, CancellationToken.None).AsTask().WaitAsync(Timeout));
        Assert.Equal(0, await accepted.ReceiveAsync(buffer, CancellationToken.None).AsTask().WaitAsync(Timeout));

        // Half-closed, it still sends; the peer reads what it sent, then our own close.
        await accepted.SendAsync("pong"u8.ToArray(), CancellationToken.None).AsTask().WaitAsync(Timeout);
        accepted.ShutdownSend();
        var received = new byte[16];
        Assert.Equal(4, await peer.ReceiveAsync(received).WaitAsync(Timeout));
        Assert.Equal(0, await peer.ReceiveAsync(received).WaitAsync(Timeout));
    }

    [Fact]
    public async Task Sending_two_pieces_now_takes_what_fits_in_order_never_waits_and_fails_once_the_peer_is_gone()
    {
        var (client, server) = await ConnectPairAsync();
        using var _ = client;

        Assert.Equal(8, client.TrySendNow("head"u8, "body"u8));
        Assert.Equal(4, client.TrySendNow(default, "tail"u8));
        var buffer = new byte[64];
        var n = 0;
        while (n < 12) n += await server.ReceiveAsync(buffer.AsMemory(n)).AsTask().WaitAsync(Timeout);
        Assert.Equal("headbodytail", Encoding.ASCII.GetString(buffer, 0, n));

        // The peer reads nothing more: the kernel takes part of the pieces, then nothing, and the call returns at once each time.
        var first = new byte[1024 * 1024];
        var second = new byte[1024 * 1024];
        new Random(11).NextBytes(first);
        new Random(12).NextBytes(second);
        var expected = new MemoryStream();
        while (true)
        {
            var sent = client.TrySendNow(first, second);
            if (sent == 0) break;
            expected.Write(first, 0, Math.Min(sent, first.Length));
            if (sent > first.Length) expected.Write(second, 0, sent - first.Length);
        }
        Assert.InRange(expected.Length, 1, 2 * 1024 * 1024 * 64L);

        var received = await ReceiveAllAsync(server, (int)expected.Length).WaitAsync(Timeout);
        Assert.True(expected.ToArray().AsSpan().SequenceEqual(received));

        // Reset by the peer: a send fails rather than claiming bytes went out.
        server.LingerState = new LingerOption(true, 0);
        server.Dispose();
        await Task.Delay(100);
        Assert.Throws<SocketException>(() =>
        {
            for (var i = 0; i < 10; i++) client.TrySendNow("more"u8, "bytes"u8);
        });
    }

    [Fact]
    public async Task Small_pieces_sent_now_arrive_in_order_when_the_kernel_takes_only_part_of_them()
    {
        // Pieces small enough to be joined into one send(): the peer reads nothing until the socket is full,
        // so the last sends take part of a pair or nothing, and what the calls counted is what arrives.
        var (client, server) = await ConnectPairAsync();
        using var _ = client;
        using var __ = server;
        var random = new Random(21);
        var expected = new MemoryStream();
        var pairs = 0;
        while (true)
        {
            var first = new byte[random.Next(0, 3000)];
            var second = new byte[random.Next(1, 4096 - first.Length + 1)];
            random.NextBytes(first);
            random.NextBytes(second);
            var sent = client.TrySendNow(first, second);
            Assert.InRange(sent, 0, first.Length + second.Length);
            expected.Write(first, 0, Math.Min(sent, first.Length));
            if (sent > first.Length) expected.Write(second, 0, sent - first.Length);
            if (sent == 0) break;
            pairs++;
        }
        Assert.True(pairs > 10, $"only {pairs} pairs before the socket was full");

        var received = await ReceiveAllAsync(server, (int)expected.Length).WaitAsync(Timeout);
        Assert.True(expected.ToArray().AsSpan().SequenceEqual(received));
    }

    [Fact]
    public async Task A_send_of_more_segments_than_one_call_gathers_arrives_whole_and_in_order()
    {
        var (client, server) = await ConnectPairAsync();
        using var _ = client;
        using var __ = server;
        // 40 segments (more than the 16 one sendmsg gathers) of uneven sizes, at least 4 MiB in all: more than
        // the socket buffers hold, so the send also waits for room part way through.
        var random = new Random(22);
        var segments = new List<byte[]>();
        var total = 0;
        for (var i = 0; i < 40; i++)
        {
            var segment = new byte[i == 39 ? Math.Max(1, 4 * 1024 * 1024 - total) : random.Next(1, 200_000)];
            random.NextBytes(segment);
            segments.Add(segment);
            total += segment.Length;
        }
        var sequence = Segment.Sequence(segments);
        var expected = System.Buffers.BuffersExtensions.ToArray(sequence);

        var sending = client.SendAsync(sequence, CancellationToken.None).AsTask();
        var received = await ReceiveAllAsync(server, expected.Length).WaitAsync(Timeout);
        await sending.WaitAsync(Timeout);
        Assert.True(expected.AsSpan().SequenceEqual(received));
    }

    [Fact]
    public async Task Splicing_moves_bytes_from_one_socket_through_a_pipe_into_another_in_order()
    {
        var (from, sender) = await ConnectPairAsync();
        var (to, receiver) = await ConnectPairAsync();
        using var _ = from;
        using var __ = sender;
        using var ___ = to;
        using var ____ = receiver;
        var pipe = SplicePipe.TryRent()!;
        try
        {
            // Nothing sent yet: nothing to take, and the call says so instead of waiting.
            await Task.Delay(50);
            Assert.Equal(-1, from.TrySpliceTo(pipe, 64 * 1024));

            var payload = new byte[3 * 1024 * 1024 + 123];
            new Random(21).NextBytes(payload);
            var sending = sender.SendAsync(payload);
            var receiving = ReceiveAllAsync(receiver, payload.Length);
            var moved = 0L;
            while (moved < payload.Length)
            {
                var n = from.TrySpliceTo(pipe, 64 * 1024);
                if (n < 0)
                {
                    await from.WaitReadableAsync().AsTask().WaitAsync(Timeout);
                    continue;
                }
                Assert.NotEqual(0, n);
                Assert.Equal(n, pipe.Buffered);
                moved += n;
                while (pipe.Buffered > 0)
                {
                    to.TrySpliceFrom(pipe, out var writableSeen);
                    if (pipe.Buffered > 0) await to.WaitWritableAsync(writableSeen).AsTask().WaitAsync(Timeout);
                }
            }
            await sending.WaitAsync(Timeout);
            var received = await receiving.WaitAsync(Timeout);
            Assert.True(payload.SequenceEqual(received), "the spliced bytes differ from those sent");

            // The sender's close reads as 0.
            sender.Shutdown(SocketShutdown.Send);
            await from.WaitReadableAsync().AsTask().WaitAsync(Timeout);
            Assert.Equal(0, from.TrySpliceTo(pipe, 64 * 1024));
        }
        finally
        {
            SplicePipe.Return(pipe);
        }
    }

    [Fact]
    public async Task A_splice_into_a_full_socket_keeps_the_rest_in_the_pipe_until_there_is_room_and_fails_once_the_peer_is_gone()
    {
        var (from, sender) = await ConnectPairAsync();
        var (to, receiver) = await ConnectPairAsync();
        using var _ = from;
        using var __ = sender;
        using var ___ = to;
        var pipe = SplicePipe.TryRent()!;
        try
        {
            // The receiver reads nothing: its socket and the sender's fill up, and a splice leaves bytes in the pipe.
            var chunk = new byte[64 * 1024];
            int writableSeen;
            while (true)
            {
                await sender.SendAsync(chunk).WaitAsync(Timeout);
                while (from.TrySpliceTo(pipe, chunk.Length) is var n && n < 0) await from.WaitReadableAsync().AsTask().WaitAsync(Timeout);
                to.TrySpliceFrom(pipe, out writableSeen);
                if (pipe.Buffered > 0) break;
            }
            var room = to.WaitWritableAsync(writableSeen).AsTask();
            await Task.Delay(100);
            Assert.False(room.IsCompleted, "room reported while the receiver read nothing");
            // Read what arrives until the loop reports room. The loop thread reports it a little after the kernel
            // freed the space, possibly after the last bytes were read, so never wait on a receive alone: no more may come.
            var drain = new byte[1024 * 1024];
            var drained = 0;
            var waited = Stopwatch.StartNew();
            while (!room.IsCompleted)
            {
                if (receiver.Available > 0) drained += await receiver.ReceiveAsync(drain);
                else await Task.WhenAny(room, Task.Delay(10));
                if (waited.Elapsed > Timeout) throw new TimeoutException($"no room reported after the receiver read {drained} bytes");
            }
            await room;

            // Reset by the receiver: a splice fails (no SIGPIPE takes the process down) rather than claiming bytes went out.
            receiver.LingerState = new LingerOption(true, 0);
            receiver.Dispose();
            await Task.Delay(100);
            Assert.Throws<SocketException>(() =>
            {
                for (var i = 0; i < 10 && pipe.Buffered > 0; i++) to.TrySpliceFrom(pipe, out var ignored);
                if (pipe.Buffered == 0) throw new InvalidOperationException("the pipe emptied into a reset socket");
            });
        }
        finally
        {
            SplicePipe.Return(pipe); // holds bytes: closed, not kept
        }
    }

    [Fact]
    public void A_pipe_given_back_empty_is_rented_again_and_one_holding_bytes_is_closed()
    {
        var pipe = SplicePipe.TryRent()!;
        var open = SplicePipe.Open;
        SplicePipe.Return(pipe);
        Assert.Same(pipe, SplicePipe.TryRent()!);
        pipe.Buffered = 5; // as if a relay stopped midway
        SplicePipe.Return(pipe);
        Assert.Equal(open - 1, SplicePipe.Open);
        var next = SplicePipe.TryRent()!;
        Assert.NotSame(pipe, next);
        SplicePipe.Return(next);
    }

    private static async Task<byte[]> ReceiveAllAsync(Socket socket, int length)
    {
        var received = new byte[length];
        var n = 0;
        while (n < length)
        {
            var read = await socket.ReceiveAsync(received.AsMemory(n));
            if (read == 0) throw new IOException($"closed after {n} of {length} bytes");
            n += read;
        }
        return received;
    }

    /// <summary>A <see cref="System.Buffers.ReadOnlySequence{T}"/> of the given arrays, one segment each.</summary>
    private sealed class Segment : System.Buffers.ReadOnlySequenceSegment<byte>
    {
        private Segment(byte[] bytes, long runningIndex)
        {
            Memory = bytes;
            RunningIndex = runningIndex;
        }

        public static System.Buffers.ReadOnlySequence<byte> Sequence(IReadOnlyList<byte[]> arrays)
        {
            var first = new Segment(arrays[0], 0);
            var last = first;
            foreach (var array in arrays.Skip(1))
            {
                var next = new Segment(array, last.RunningIndex + last.Memory.Length);
                last.Next = next;
                last = next;
            }
            return new System.Buffers.ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
        }
    }
}
