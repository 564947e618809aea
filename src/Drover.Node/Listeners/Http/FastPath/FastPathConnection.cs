using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Akka.Actor;
using Drover.Core.Balancing;
using Drover.Core.Health;
using Drover.Core.Http1;
using Drover.Core.Io;
using Drover.Core.Pools;
using Drover.Core.Threading;
using Drover.Node.AccessLog;
using Drover.Node.Io;
using Drover.Node.Pools;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.ObjectPool;

namespace Drover.Node.Listeners.Http.FastPath;

/// <summary>
/// Serves one client connection on the HTTP/1.1 fast path: parse a request head (strictly), route,
/// pick, send the head and body over a kept-alive backend connection, relay the response, repeat.
/// The first request that the strict parser does not accept, or that needs more than this path
/// does (no route, cookies to hash, upgrades, chunked requests, HTTP/1.0, ...), is left unconsumed
/// in the pipe and the rest of the connection is handed to Kestrel's own HTTP stack.
/// </summary>
internal sealed class FastPathConnection
{
    // What a head read takes when splicing is on: HAProxy's buffer size, enough for any usual head.
    private const int HeadReceive = 16 * 1024;
    // The most one splice moves into the pipe: a default pipe's 16 pages.
    private const int SpliceChunk = 64 * 1024;

    private static readonly ConcurrentDictionary<(string Pool, PoolErrorKind Kind, bool Close), byte[]> PoolErrors = new();
    // The parse targets (2 KiB of header slots) are kept for the next connection rather than allocated per
    // connection: with a new connection per request they were a quarter of all allocation.
    private static readonly ObjectPool<ParseHeads> HeadsPool = new DefaultObjectPool<ParseHeads>(new DefaultPooledObjectPolicy<ParseHeads>(), 1024);

    private readonly Http1FastPath _fastPath;
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly ParseHeads _heads;
    private readonly Http1RequestHead _head;
    private readonly Http1ResponseHead _response;
    private readonly byte[] _clientIp;
    private readonly ulong _clientIpHash;
    private readonly CancellationTokenSource _timeout = new();
    // The listener (or Kestrel) asks connections to close when it stops (shutdown, or a reload removed it):
    // the response in flight finishes with "Connection: close" and an idle connection ends at once.
    private readonly CancellationToken _closeRequested;
    // False when the caller wakes an idle read itself on a close request (the epoll listener, whose token
    // is shared by all its connections: a registration per connection would contend on that token's lock).
    private readonly bool _wakeOnCloseRequest;
    // The client connection's event loop under the epoll engine: backend connections opened for it join it.
    private readonly EventLoop? _loop;
    // Set when served by the epoll listener's front door, which reads on demand: the connection's receive loop
    // is paused while a bodiless request is proxied and resumed before a read that may wait. A connection that
    // closes after its response then never needs epoll to watch its socket.
    private readonly IReceivePauseFeature? _receive;
    // Set under the epoll listener: response bytes go straight to the client's socket while nothing queued in the output
    // pipe is unsent (_flushed counts what this connection flushed there), and through the pipe otherwise.
    private readonly IDirectSendFeature? _direct;
    // Bodies of at least this many bytes go from the backend's socket to the client's by splice; 0: never.
    private readonly int _spliceMinimum;
    private long _flushed;
    // A response head rewritten for the client and not yet sent: it goes out with the body's first bytes (one syscall).
    private byte[]? _pendingHead;
    private int _pendingHeadLength;
    private byte[]? _headScratch;
    private bool _clientGone;
    private bool _served; // a request was read on this connection
    private Sessions.StickyRequest? _sticky;

    // Response body bytes relayed for the current request (framing of chunked bodies included),
    // added to the counters once per response rather than per read.
    private long _relayed;

    // The current request's access-log fields, kept only when the log is on (reset per request).
    private readonly bool _logging;
    private readonly string? _clientText;
    private bool _logPending;
    private long _logStarted;
    private string? _logMethod;
    private string? _logTarget;
    private string? _logPool;
    private string? _logBackend;
    private int _logStatus;
    private long _logBytesIn;
    private long _logBytesOut;
    private double _logQueueMs;
    private double _logConnectMs;
    private double _logTtfbMs;
    private int _logRetries;
    private AccessLogEnd _logEnd;

    public FastPathConnection(Http1FastPath fastPath, ConnectionContext connection, CancellationToken closeRequested, bool wakeOnCloseRequest = true,
        IReceivePauseFeature? receive = null, IDirectSendFeature? direct = null)
    {
        _receive = receive;
        _direct = direct;
        _fastPath = fastPath;
        _spliceMinimum = direct is null ? 0 : fastPath.SpliceMinimum;
        _heads = HeadsPool.Get();
        _head = _heads.Request;
        _response = _heads.Response;
        _input = connection.Transport.Input;
        _output = connection.Transport.Output;
        var address = (connection.RemoteEndPoint as IPEndPoint)?.Address;
        if (address is { IsIPv4MappedToIPv6: true }) address = address.MapToIPv4();
        _clientIp = ClientIpBytes(address);
        _clientIpHash = RequestHashing.HashAddress(address);
        _closeRequested = closeRequested;
        _wakeOnCloseRequest = wakeOnCloseRequest;
        _loop = (connection as IEventLoopFeature ?? connection.Features.Get<IEventLoopFeature>())?.Loop;
        _logging = fastPath.AccessLog.Enabled;
        if (_logging) _clientText = connection.RemoteEndPoint?.ToString() ?? "-";
    }

    /// <summary>The client's address as X-Forwarded-For writes it: formatted straight to ASCII (no string on the way).</summary>
    private static byte[] ClientIpBytes(IPAddress? address)
    {
        if (address is null) return "unknown"u8.ToArray();
        Span<byte> text = stackalloc byte[64]; // the longest IPv6 text with a scope is 65 chars; fall back below
        return address.TryFormat(text, out var written) ? text[..written].ToArray() : Encoding.ASCII.GetBytes(address.ToString());
    }

    /// <summary>Serves requests until the connection ends (false) or must go to Kestrel (true).</summary>
    [AsyncMethodBuilder(typeof(PerThreadPoolingValueTaskMethodBuilder<>))]
    public async ValueTask<bool> ServeAsync()
    {
        // Wakes an idle wait for the next request when the listener asks the connection to close (once per connection, not per request).
        using var wake = _wakeOnCloseRequest && _closeRequested.CanBeCanceled
            ? _closeRequested.UnsafeRegister(static input => ((PipeReader)input!).CancelPendingRead(), _input)
            : default;
        try
        {
            while (true)
            {
                var next = await ServeOneAsync();
                if (_logPending) WriteAccessLog(_logEnd);
                if (next != Next.Continue) return next == Next.HandOver;
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ConnectionResetException or ObjectDisposedException)
        {
            if (_logPending) WriteAccessLog(_clientGone || ex is not OperationCanceledException ? AccessLogEnd.ClientAbort : AccessLogEnd.ResponseTimeout);
            return false; // the client went away or a timeout passed: the connection ends
        }
        finally
        {
            _timeout.Dispose();
            ReleasePendingHead();
            if (_headScratch is not null) ArrayPool<byte>.Shared.Return(_headScratch);
            HeadsPool.Return(_heads); // every parse sets all of a head's fields, so no reset is needed
        }
    }

    /// <summary>A connection's request and response parse targets, pooled together.</summary>
    private sealed class ParseHeads
    {
        public Http1RequestHead Request { get; } = new();

        public Http1ResponseHead Response { get; } = new();
    }

    private enum Next
    {
        Continue,
        Close,
        HandOver,
    }

    [AsyncMethodBuilder(typeof(PerThreadPoolingValueTaskMethodBuilder<>))]
    private async ValueTask<Next> ServeOneAsync()
    {
        // 1. A complete request head: the connection may idle for the idle timeout, but once a
        // request's first byte is in, its whole head must follow within request-headers (slowloris).
        ReadOnlySequence<byte> buffer;
        var timeouts = _fastPath.Timeouts;
        var headStarted = false;
        if (_closeRequested.IsCancellationRequested) return Next.Close;
        // Armed before the first read that waits: a request already in (most first requests) needs no timer.
        var armed = false;
        // The connection's first request, when it came with the connection (the usual case), is taken without resuming the
        // receive loop, which would make its socket join epoll. TryRead only before the first parse: after a partial head
        // it returns the same bytes again.
        var firstRead = !_served;
        _served = true;
        while (true)
        {
            ReadResult read = default;
            try
            {
                if (!firstRead || _receive is null || !_input.TryRead(out read))
                {
                    if (!armed)
                    {
                        armed = true;
                        _timeout.CancelAfter(headStarted ? timeouts.RequestHeaders : timeouts.Idle);
                    }
                    var waited = false;
                    if (firstRead && _receive is not null)
                    {
                        // The first request did not come with the connection: wait for it on the socket, still without the receive loop.
                        await _receive.WaitForFirstInputAsync(_timeout.Token);
                        waited = _input.TryRead(out read);
                    }
                    if (!waited)
                    {
                        _receive?.ResumeReceiving();
                        read = await _input.ReadAsync(_timeout.Token);
                    }
                }
                firstRead = false;
            }
            catch (OperationCanceledException) when (headStarted)
            {
                if (_logging)
                {
                    StartAccessLog(Stopwatch.GetTimestamp(), null, null);
                    _logStatus = 408;
                    _logEnd = AccessLogEnd.HeadersTimeout;
                }
                await WriteAsync(CannedResponses.RequestHeadersTimeout);
                return Next.Close;
            }
            buffer = read.Buffer;
            if (buffer.IsEmpty && read.IsCompleted) return Next.Close;
            if (read.IsCanceled && buffer.IsEmpty && _closeRequested.IsCancellationRequested) return Next.Close; // idle, and the listener stops
            var status = Http1RequestParser.Parse(HeadSpan(buffer), _head);
            if (status == Http1ParseStatus.Complete) break;
            if (status == Http1ParseStatus.Incomplete && !read.IsCompleted)
            {
                if (!headStarted)
                {
                    headStarted = true;
                    if (armed) _timeout.CancelAfter(timeouts.RequestHeaders); // else armed with it before the next read
                }
                _input.AdvanceTo(buffer.Start, buffer.End);
                continue;
            }
            _input.AdvanceTo(buffer.Start); // not ours: Kestrel reads these same bytes
            return status == Http1ParseStatus.Incomplete ? Next.Close : Next.HandOver;
        }
        if (armed) _timeout.CancelAfter(Timeout.Infinite);

        // 2. Route and pick (synchronous: the head is a span).
        var target = Select(HeadSpan(buffer));
        if (target.Pool is null)
        {
            _input.AdvanceTo(buffer.Start);
            return Next.HandOver;
        }
        var pool = target.Pool;
        var snapshot = target.Snapshot!;
        // Nothing more to read until the response is sent (a body is read below, resumed).
        if (_head.ContentLength <= 0) _receive?.PauseReceiving();
        var sticky = target.Sticky ? _sticky : null;
        if (sticky is not null) await sticky.CompleteResolveAsync();
        var contentLength = _head.ContentLength;
        if (_logging)
        {
            var head = HeadSpan(buffer);
            StartAccessLog(Stopwatch.GetTimestamp(), System.Text.Encoding.ASCII.GetString(head[.._head.MethodLength]),
                System.Text.Encoding.ASCII.GetString(head.Slice(_head.TargetStart, _head.TargetLength)));
            _logPool = pool.Name;
            _logBytesIn = _head.HeadLength + Math.Max(0, contentLength);
        }
        var clientClose = _head.ConnectionClose;
        var isHead = _head.IsHead;

        // 3. A backend with a free slot (or a wait in the pool's queue). A failed attempt goes to
        // another backend when retries.on names its kind, tries remain and the budget allows: a
        // connect failure always may; a close before answering or a 502/503/504 only for a bodiless
        // idempotent request, whose head is still in the pipe and can be sent again.
        var retryable = contentLength <= 0 && target.Idempotent;
        var pick = new PickContext(target.Hash);
        var maxTries = pool.Retries.MaxTries;
        var failure = AcquireFailure.NoBackend;
        var connectFailures = 0;
        var attempt = 0;
        for (; attempt < maxTries; attempt++)
        {
            var waited = _logging ? Stopwatch.GetTimestamp() : 0;
            var acquired = sticky is null
                ? await pool.AcquireAsync(snapshot, pick, CancellationToken.None)
                : await sticky.AcquireAsync(snapshot, pick, CancellationToken.None);
            if (_logging && attempt == 0) _logQueueMs = Stopwatch.GetElapsedTime(waited).TotalMilliseconds;
            if (acquired.Backend is not { } backend)
            {
                failure = acquired.Failure;
                break;
            }
            if (_logging)
            {
                _logBackend = backend.Id;
                _logRetries = attempt;
            }
            snapshot = acquired.Snapshot;
            pick = pick.Exclude(acquired.Index);
            sticky?.OnAttempt(backend);
            if (attempt > 0) backend.OnRetry();
            var lastTry = attempt + 1 >= Math.Min(maxTries, snapshot.Candidates.Length);
            BackendConnection connection;
            var renting = _logging ? Stopwatch.GetTimestamp() : 0;
            try
            {
                connection = await pool.Connections[backend.Ordinal].RentAsync(CancellationToken.None, _loop);
                if (_logging) _logConnectMs = Stopwatch.GetElapsedTime(renting).TotalMilliseconds;
            }
            catch (BackendConnectException ex)
            {
                backend.OnEnd();
                pool.ReportFailure(backend, ex.Message);
                connectFailures++;
                if (sticky is not null) await sticky.OnConnectFailedAsync(backend, snapshot);
                if (lastTry || !pool.MayRetry(RetryOn.ConnectFailure))
                {
                    attempt++;
                    break;
                }
                continue;
            }

            Next? next;
            try
            {
                next = await ForwardAsync(pool, backend, connection, buffer, contentLength, clientClose, isHead, retryable && !lastTry, sticky);
            }
            finally
            {
                backend.OnEnd();
            }
            if (next is { } done) return done;
        }

        // Answer without reading a body we will not forward: then the connection cannot continue.
        var close = clientClose || contentLength > 0;
        _input.AdvanceTo(buffer.GetPosition(_head.HeadLength));
        var reason = failure switch
        {
            AcquireFailure.QueueFull => PoolErrorKind.QueueFull,
            AcquireFailure.QueueTimeout => PoolErrorKind.QueueTimeout,
            _ when attempt == 0 => PoolErrorKind.NoBackend,
            _ when connectFailures == attempt => PoolErrorKind.ConnectFailed,
            _ => PoolErrorKind.AllFailed,
        };
        if (_logging)
        {
            _logStatus = reason is PoolErrorKind.ConnectFailed or PoolErrorKind.AllFailed ? 502 : 503;
            _logEnd = reason switch
            {
                PoolErrorKind.QueueFull => AccessLogEnd.QueueFull,
                PoolErrorKind.QueueTimeout => AccessLogEnd.QueueTimeout,
                PoolErrorKind.NoBackend => AccessLogEnd.NoBackend,
                PoolErrorKind.ConnectFailed => AccessLogEnd.ConnectFailed,
                _ => AccessLogEnd.BackendReset,
            };
        }
        await WriteAsync(PoolError(pool.Name, reason, close));
        return close ? Next.Close : Next.Continue;
    }

    /// <summary>
    /// Forwards one request over <paramref name="connection"/>. Returns null when the request may
    /// go to another backend: it is <paramref name="retryable"/>, nothing was sent to the client, and
    /// the backend closed without answering (on a fresh connection: a pooled one that turned out
    /// closed is first replaced once, to the same backend).
    /// </summary>
    [AsyncMethodBuilder(typeof(PerThreadPoolingValueTaskMethodBuilder<>))]
    private async ValueTask<Next?> ForwardAsync(PoolHandle pool, Backend backend, BackendConnection connection,
        ReadOnlySequence<byte> buffer, long contentLength, bool clientClose, bool isHead, bool retryable, Sessions.StickyRequest? sticky)
    {
        var backendPool = pool.Connections[backend.Ordinal];
        var started = Stopwatch.GetTimestamp();
        var headConsumed = false;
        try
        {
            // 4. The request: head (rewritten) and body. A bodiless request keeps its head in the
            // pipe until the response starts, so it can be sent again.
            var timeout = pool.RequestConfig.ActivityTimeout ?? TimeSpan.FromSeconds(30);
            ResponseHead head;
            if (contentLength > 0)
            {
                WriteRequestHead(connection, buffer);
                _input.AdvanceTo(buffer.GetPosition(_head.HeadLength));
                headConsumed = true;
                await CopyClientBodyAsync(connection, contentLength);
                // The whole body reached the backend's socket: counted once (a failure midway is a failed request).
                backend.AddBytesIn(contentLength);
                _fastPath.Counters.AddBytesIn(contentLength);
                head = await SendAndReadResponseHeadAsync(connection, timeout, isHead);
            }
            else
            {
                WriteRequestHead(connection, buffer);
                head = await SendAndReadResponseHeadAsync(connection, timeout, isHead);
                if (head == ResponseHead.ClosedEarly && connection.Uses > 0)
                {
                    // A pooled connection the backend had already closed is no fault: reconnect once.
                    connection.Abort();
                    try
                    {
                        connection = await backendPool.ConnectAsync(CancellationToken.None, _loop);
                    }
                    catch (BackendConnectException ex)
                    {
                        pool.ReportFailure(backend, ex.Message);
                        if (retryable && pool.MayRetry(RetryOn.ConnectFailure)) return null;
                        _input.AdvanceTo(buffer.GetPosition(_head.HeadLength));
                        await WriteAsync(PoolError(pool.Name, PoolErrorKind.ConnectFailed, close: true));
                        return Next.Close;
                    }
                    WriteRequestHead(connection, buffer);
                    head = await SendAndReadResponseHeadAsync(connection, timeout, isHead);
                }
                if (head == ResponseHead.ClosedEarly && retryable && pool.MayRetry(RetryOn.ResetBeforeResponse))
                {
                    pool.ReportFailure(backend, "closed before responding");
                    connection.Abort();
                    return null;
                }
            }

            if (head != ResponseHead.Ok)
            {
                if (_logging)
                {
                    _logStatus = head == ResponseHead.TimedOut ? 504 : 502;
                    _logEnd = head switch
                    {
                        ResponseHead.TimedOut => AccessLogEnd.ResponseTimeout,
                        ResponseHead.Invalid => AccessLogEnd.BadResponse,
                        _ => AccessLogEnd.BackendReset,
                    };
                }
                if (!headConsumed) _input.AdvanceTo(buffer.GetPosition(_head.HeadLength));
                headConsumed = true;
                pool.ReportFailure(backend, head switch
                {
                    ResponseHead.TimedOut => "response timeout",
                    ResponseHead.Invalid => "invalid response head",
                    _ => "closed before responding",
                });
                connection.Abort();
                await WriteAsync(head == ResponseHead.TimedOut ? CannedResponses.GatewayTimeout : CannedResponses.BadGatewayResponse);
                return Next.Close;
            }

            var statusCode = _response.StatusCode;
            backend.CountStatus(statusCode);
            if (statusCode >= 500)
            {
                pool.ReportFailure(backend, FastPathText.StatusDetail(statusCode));
                if (retryable && RetryKind(statusCode) is var kind && kind != RetryOn.None && pool.MayRetry(kind))
                {
                    connection.Abort(); // the response is dropped unread; the head stays in the pipe for the next backend
                    return null;
                }
            }
            else
            {
                backend.OnSuccess();
            }
            if (!headConsumed)
            {
                _input.AdvanceTo(buffer.GetPosition(_head.HeadLength));
                headConsumed = true;
            }
            backend.RecordLatency(Stopwatch.GetTimestamp() - started);
            _fastPath.CountServed(statusCode);
            if (_logging)
            {
                _logStatus = statusCode;
                _logTtfbMs = Stopwatch.GetElapsedTime(_logStarted).TotalMilliseconds;
                _logBytesOut = _response.HeadLength + Math.Max(0, _response.ContentLength);
                _logEnd = AccessLogEnd.Ok;
            }

            // 5. The response: head (hop-by-hop headers dropped) and body by its framing.
            var framing = _response.Framing;
            var responseLength = _response.ContentLength;
            var closeAfter = clientClose || framing == BodyFraming.UntilClose || _closeRequested.IsCancellationRequested;
            var backendReusable = !_response.ConnectionClose && framing != BodyFraming.UntilClose;
            RelayResponseHead(connection, closeAfter, sticky?.SetCookieField(backend));
            _relayed = 0;
            bool ok;
            try
            {
                ok = framing switch
                {
                    BodyFraming.ContentLength => await CopyBackendBodyAsync(connection, responseLength, pool),
                    BodyFraming.Chunked => await CopyChunkedBodyAsync(connection, pool),
                    BodyFraming.UntilClose => await CopyBackendBodyAsync(connection, long.MaxValue, pool),
                    _ => true,
                };
            }
            finally
            {
                if (_relayed > 0)
                {
                    backend.AddBytesOut(_relayed);
                    _fastPath.Counters.AddBytesOut(_relayed);
                }
            }
            // A head not sent yet (a response without a body, or a body that failed before its first bytes) goes now.
            var clientGone = _pendingHead is not null && Relay(default) == RelayResult.ClientGone;
            if (_direct is null || _output.UnflushedBytes > 0) clientGone |= (await FlushOutputAsync()).IsCompleted;

            if (!ok && !_clientGone) pool.ReportFailure(backend, "failed while sending the response body");
            if (_logging && !ok) _logEnd = _clientGone ? AccessLogEnd.ClientAbort : AccessLogEnd.BackendReset;
            if (ok && backendReusable) backendPool.Return(connection);
            else connection.Abort();
            if (!ok || clientGone) return Next.Close;
            return closeAfter ? Next.Close : Next.Continue;
        }
        catch (Exception)
        {
            ReleasePendingHead();
            connection.Abort();
            if (!headConsumed) _input.AdvanceTo(buffer.GetPosition(_head.HeadLength));
            throw;
        }
    }

    private enum ResponseHead
    {
        Ok,
        ClosedEarly,
        Invalid,
        TimedOut,
    }

    /// <summary>
    /// Sends what was written to <paramref name="connection"/> and not yet sent (a bodiless request's
    /// head), then reads the response head. A connection that fails on write or closes before
    /// answering is reported as <see cref="ResponseHead.ClosedEarly"/>.
    /// </summary>
    [AsyncMethodBuilder(typeof(PerThreadPoolingValueTaskMethodBuilder<>))]
    private async ValueTask<ResponseHead> SendAndReadResponseHeadAsync(BackendConnection connection, TimeSpan timeout, bool isHead)
    {
        try
        {
            await connection.SendAsync(CancellationToken.None);
        }
        catch (IOException)
        {
            return ResponseHead.ClosedEarly;
        }
        _timeout.CancelAfter(timeout);
        try
        {
            while (true)
            {
                if (connection.BufferedLength > 0)
                {
                    // The head stays buffered until it is relayed.
                    var status = Http1ResponseParser.Parse(connection.Buffered, _response, isHead);
                    if (status == Http1ParseStatus.Complete) return ResponseHead.Ok;
                    if (status != Http1ParseStatus.Incomplete) return ResponseHead.Invalid;
                }
                int received;
                try
                {
                    // With splicing on, only a head's worth: a large body's rest is then spliced, not copied.
                    received = await connection.ReceiveAsync(_timeout.Token, _spliceMinimum > 0 && connection.CanSplice ? HeadReceive : int.MaxValue);
                }
                catch (IOException)
                {
                    return ResponseHead.ClosedEarly;
                }
                if (received == 0) return connection.BufferedLength == 0 ? ResponseHead.ClosedEarly : ResponseHead.Invalid;
            }
        }
        catch (OperationCanceledException)
        {
            return ResponseHead.TimedOut;
        }
        finally
        {
            _timeout.CancelAfter(Timeout.Infinite);
        }
    }

    private void RelayResponseHead(BackendConnection connection, bool addConnectionClose, byte[]? extraField)
    {
        addConnectionClose &= !_response.ConnectionClose;
        if (_direct is null)
        {
            Http1HeadWriter.WriteResponse(_output, connection.Buffered, _response, addConnectionClose, extraField);
        }
        else
        {
            // Kept until the body's first bytes, to go out with them.
            _pendingHead = ArrayPool<byte>.Shared.Rent(Http1HeadWriter.ResponseLength(_response, addConnectionClose, extraField));
            _pendingHeadLength = Http1HeadWriter.WriteResponse(_pendingHead, connection.Buffered, _response, addConnectionClose, extraField);
        }
        connection.Consume(_response.HeadLength);
    }

    private enum RelayResult
    {
        Sent,       // all of it is in the client's socket
        Queued,     // some or all of it is in the output pipe, to be flushed
        ClientGone, // the client's socket failed
    }

    /// <summary>
    /// Relays the pending response head (if any) and <paramref name="data"/>: straight to the client's
    /// socket when everything flushed before has been sent, the rest (or all) into the output pipe.
    /// </summary>
    private RelayResult Relay(ReadOnlySpan<byte> data)
    {
        var head = _pendingHead is null ? default : _pendingHead.AsSpan(0, _pendingHeadLength);
        var total = head.Length + data.Length;
        var sent = 0;
        if (_direct is not null && _output.UnflushedBytes == 0)
        {
            try
            {
                sent = Math.Max(0, _direct.TrySendDirect(_flushed, head, data));
            }
            catch (System.Net.Sockets.SocketException)
            {
                ReleasePendingHead();
                return RelayResult.ClientGone;
            }
        }
        if (sent < head.Length)
        {
            _output.Write(head[sent..]);
            _output.Write(data);
        }
        else if (sent < total)
        {
            _output.Write(data[(sent - head.Length)..]);
        }
        ReleasePendingHead();
        return sent == total ? RelayResult.Sent : RelayResult.Queued;
    }

    private void ReleasePendingHead()
    {
        if (_pendingHead is null) return;
        ArrayPool<byte>.Shared.Return(_pendingHead);
        _pendingHead = null;
        _pendingHeadLength = 0;
    }

    /// <summary>Flushes the output pipe, counting what this connection has put there (for direct sends).</summary>
    private ValueTask<FlushResult> FlushOutputAsync()
    {
        if (_direct is not null) _flushed += _output.UnflushedBytes;
        return _output.FlushAsync();
    }

    private void WriteRequestHead(BackendConnection connection, ReadOnlySequence<byte> buffer) =>
        Http1HeadWriter.WriteRequest(connection, HeadSpan(buffer), _head, _clientIp, "http"u8);

    /// <summary>
    /// Sends the request head already written to <paramref name="backend"/> and <paramref name="length"/>
    /// body bytes: small reads gather behind the head (one send for a small request), larger segments
    /// go to the socket straight from the client's buffer.
    /// </summary>
    [AsyncMethodBuilder(typeof(PerThreadPoolingValueTaskMethodBuilder))]
    private async ValueTask CopyClientBodyAsync(BackendConnection backend, long length)
    {
        _receive?.ResumeReceiving(); // paused after a pipelined bodiless request
        while (length > 0)
        {
            var read = await _input.ReadAsync();
            var buffer = read.Buffer;
            if (buffer.IsEmpty && read.IsCompleted) throw new IOException("the client closed before sending the whole body");
            var slice = buffer.Slice(0, Math.Min(length, buffer.Length));
            foreach (var segment in slice)
            {
                if (segment.Length <= backend.SendSpace)
                {
                    segment.Span.CopyTo(backend.GetSpan(segment.Length));
                    backend.Advance(segment.Length);
                }
                else
                {
                    await backend.SendAsync(segment, CancellationToken.None);
                }
            }
            await backend.SendAsync(CancellationToken.None);
            length -= slice.Length;
            _input.AdvanceTo(slice.End);
        }
    }

    /// <summary>
    /// With splicing on, a response head is read at most 16 KiB at a time, so that a large body's rest
    /// can be spliced. A body that will be copied instead first takes what else has already arrived
    /// (never waiting), so that the head and the body reach the client in one send as after a
    /// full-size read: a 24 KiB response sent in two pieces cost 30-40% more CPU.
    /// The read asks for all the room there is, not just the body's rest: a read that comes back short
    /// tells the socket it is drained, so the next response's read does not first fail with EAGAIN.
    /// </summary>
    private void TakeArrivedBody(BackendConnection connection)
    {
        if (_spliceMinimum > 0 && _pendingHead is not null) connection.ReceiveAvailable(int.MaxValue);
    }

    /// <summary>Copies up to <paramref name="length"/> bytes (or until the backend closes, for <see cref="long.MaxValue"/>).</summary>
    [AsyncMethodBuilder(typeof(PerThreadPoolingValueTaskMethodBuilder<>))]
    private async ValueTask<bool> CopyBackendBodyAsync(BackendConnection connection, long length, PoolHandle pool)
    {
        var untilClose = length == long.MaxValue;
        var timeout = pool.RequestConfig.ActivityTimeout ?? TimeSpan.FromSeconds(30);
        var rest = length - connection.BufferedLength;
        if (rest > 0 && (untilClose || rest < _spliceMinimum)) TakeArrivedBody(connection); // it will be copied, not spliced
        while (length > 0)
        {
            if (connection.BufferedLength == 0 && _spliceMinimum > 0 && !untilClose && length >= _spliceMinimum && _pendingHead is null
                && _output.UnflushedBytes == 0 && connection.CanSplice)
            {
                // Only once everything before the body's rest is in the client's socket (an empty pipe moves nothing);
                // without a pipe (no descriptor left) the body is copied.
                if (SplicePipe.TryRent() is { } pipe)
                {
                    if (_direct!.TrySpliceDirect(_flushed, pipe, out _) == 0) return await SpliceBackendBodyAsync(connection, length, timeout, pipe);
                    SplicePipe.Return(pipe);
                }
            }
            if (connection.BufferedLength == 0)
            {
                // More of the body is due: acknowledge what came, or a backend holding the rest until then waits for our delayed ACK (40 ms).
                connection.AcknowledgeNow();
                _timeout.CancelAfter(timeout);
                var received = await connection.ReceiveAsync(_timeout.Token);
                _timeout.CancelAfter(Timeout.Infinite);
                if (received == 0) return untilClose;
            }
            var data = connection.Buffered;
            var take = (int)Math.Min(length, data.Length);
            var relay = Relay(data[..take]);
            connection.Consume(take);
            length -= take;
            _relayed += take;
            if (relay == RelayResult.Queued ? (await FlushOutputAsync()).IsCompleted : relay == RelayResult.ClientGone)
            {
                _clientGone = true;
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// Relays the body's last <paramref name="length"/> bytes from the backend's socket to the client's
    /// through <paramref name="pipe"/> (splice: the kernel moves page references, no copy through user
    /// memory), once nothing else is waiting to go to the client. Gives the pipe back.
    /// </summary>
    [AsyncMethodBuilder(typeof(PerThreadPoolingValueTaskMethodBuilder<>))]
    private async ValueTask<bool> SpliceBackendBodyAsync(BackendConnection connection, long length, TimeSpan timeout, SplicePipe pipe)
    {
        var relayedBefore = _relayed;
        try
        {
            while (length > 0 || pipe.Buffered > 0)
            {
                if (pipe.Buffered == 0)
                {
                    var moved = connection.TrySpliceTo(pipe, (int)Math.Min(length, SpliceChunk));
                    if (moved == 0) return false; // the backend closed before the whole body
                    if (moved < 0)
                    {
                        connection.AcknowledgeNow(); // as in CopyBackendBodyAsync
                        _timeout.CancelAfter(timeout);
                        await connection.WaitReadableAsync(_timeout.Token);
                        _timeout.CancelAfter(Timeout.Infinite);
                        continue;
                    }
                    length -= moved;
                }
                int sent, writableSeen;
                try
                {
                    sent = _direct!.TrySpliceDirect(_flushed, pipe, out writableSeen);
                }
                catch (System.Net.Sockets.SocketException)
                {
                    sent = -1;
                    writableSeen = 0;
                }
                if (sent < 0)
                {
                    _clientGone = true;
                    return false;
                }
                _relayed += sent;
                if (pipe.Buffered > 0) await _direct!.WaitWritableAsync(writableSeen, CancellationToken.None);
            }
            return true;
        }
        finally
        {
            _fastPath.AddSpliced(_relayed - relayedBefore);
            SplicePipe.Return(pipe); // closed instead if the relay stopped with bytes in it
        }
    }

    [AsyncMethodBuilder(typeof(PerThreadPoolingValueTaskMethodBuilder<>))]
    private async ValueTask<bool> CopyChunkedBodyAsync(BackendConnection connection, PoolHandle pool)
    {
        var scanner = new ChunkedBodyScanner();
        var timeout = pool.RequestConfig.ActivityTimeout ?? TimeSpan.FromSeconds(30);
        TakeArrivedBody(connection);
        while (!scanner.IsComplete)
        {
            if (connection.BufferedLength == 0)
            {
                connection.AcknowledgeNow(); // as in CopyBackendBodyAsync
                _timeout.CancelAfter(timeout);
                var received = await connection.ReceiveAsync(_timeout.Token);
                _timeout.CancelAfter(Timeout.Infinite);
                if (received == 0) return false;
            }
            // The scanner takes every byte it is given until the body ends; what follows is the next message's.
            var data = connection.Buffered;
            var body = scanner.Scan(data);
            if (body < 0) return false;
            var relay = Relay(data[..body]);
            connection.Consume(body);
            _relayed += body;
            if (relay == RelayResult.Queued ? (await FlushOutputAsync()).IsCompleted : relay == RelayResult.ClientGone)
            {
                _clientGone = true;
                return false;
            }
        }
        return true;
    }

    [AsyncMethodBuilder(typeof(PerThreadPoolingValueTaskMethodBuilder))]
    private async ValueTask WriteAsync(byte[] response)
    {
        _fastPath.Counters.CountStatus(CannedResponses.StatusOf(response));
        _output.Write(response);
        await FlushOutputAsync();
    }

    private enum PoolErrorKind
    {
        NoBackend,
        QueueFull,
        QueueTimeout,
        ConnectFailed,
        AllFailed,
    }

    private static byte[] PoolError(string pool, PoolErrorKind kind, bool close) =>
        PoolErrors.GetOrAdd((pool, kind, close), key => key.Kind switch
        {
            PoolErrorKind.NoBackend => CannedResponses.Create(503, "Service Unavailable", $"pool '{key.Pool}' has no usable backend", key.Close),
            PoolErrorKind.QueueFull => CannedResponses.Create(503, "Service Unavailable", $"pool '{key.Pool}' is at max-connections and its queue is full", key.Close),
            PoolErrorKind.QueueTimeout => CannedResponses.Create(503, "Service Unavailable", $"pool '{key.Pool}' is at max-connections; no slot within the queue timeout", key.Close),
            PoolErrorKind.ConnectFailed => CannedResponses.Create(502, "Bad Gateway", $"no backend of pool '{key.Pool}' could be connected", key.Close),
            _ => CannedResponses.Create(502, "Bad Gateway", $"every backend of pool '{key.Pool}' failed this request", key.Close),
        });

    private static RetryOn RetryKind(int status) => status switch
    {
        502 => RetryOn.Status502,
        503 => RetryOn.Status503,
        504 => RetryOn.Status504,
        _ => RetryOn.None,
    };

    private readonly record struct Target(PoolHandle? Pool, PoolSnapshot? Snapshot, ulong Hash, bool Idempotent, bool Sticky = false);

    /// <summary>Matches a route and computes the hash; a default <see cref="Target"/> means "hand over".</summary>
    private Target Select(ReadOnlySpan<byte> head)
    {
        // Scratch for decoded text, rented per request rather than per connection: requests on one
        // socket thread reuse the thread's cached arrays, while connections holding their own
        // overflowed the shared pool into a 40 KB allocation (and its zeroing) per new connection.
        var chars = ArrayPool<char>.Shared.Rent(Http1RequestHead.MaxHeadBytes);
        var headerChars = ArrayPool<char>.Shared.Rent(4096);
        try
        {
            return Select(head, chars, headerChars);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(headerChars);
            ArrayPool<char>.Shared.Return(chars);
        }
    }

    private Target Select(ReadOnlySpan<byte> head, char[] chars, char[] headerChars)
    {
        var method = FastPathText.KnownMethod(head[.._head.MethodLength]);
        if (method is null || _head.HostIndex < 0) return default;
        var hostField = _head.Headers[_head.HostIndex];
        var targetBytes = head.Slice(_head.TargetStart, _head.TargetLength);
        var query = targetBytes.IndexOf((byte)'?');
        var pathBytes = query < 0 ? targetBytes : targetBytes[..query];
        // Kestrel's pipeline routes on the decoded path; rather than decode here, escaped paths take that path.
        if (pathBytes.IndexOf((byte)'%') >= 0 || hostField.ValueLength + pathBytes.Length > chars.Length / 2) return default;

        var host = FastPathText.Decode(head.Slice(hostField.ValueStart, hostField.ValueLength), chars);
        var path = FastPathText.Decode(pathBytes, chars.AsSpan(host.Length));
        var headers = new FastPathHeaders(head, _head, headerChars);
        var route = _fastPath.Routes.Match(host, path, method, ref headers);
        if (route is null) return default;

        var pool = route.Target;
        var snapshot = pool.Snapshot;
        var idempotent = method is not ("POST" or "PATCH");
        var sessions = pool.Sessions;
        // (A sticky session's backend may keep serving with no candidates left: draining.)
        if (snapshot.Candidates.Length == 0 && sessions is null) return new Target(pool, snapshot, 0, idempotent);
        ulong hash = 0;
        if (snapshot.NeedsHash)
        {
            var key = snapshot.Config.HashKey;
            switch (key.Source)
            {
                case HashKeySource.ClientIp:
                    hash = _clientIpHash;
                    break;
                case HashKeySource.Path:
                    hash = KeyHash.Hash(MemoryMarshal.AsBytes(path));
                    break;
                case HashKeySource.Header:
                    hash = headers.TryGet(key.Name!, out var value) ? KeyHash.Hash(MemoryMarshal.AsBytes(value)) : _clientIpHash;
                    break;
                default:
                    return default; // cookies: the full pipeline parses them
            }
        }
        // Sticky pools: the session's key and its cached binding (learn-cookie is the full pipeline's).
        if (sessions is not null && !(_sticky ??= new Sessions.StickyRequest(sessions)).TryBeginFastPath(sessions, snapshot, ref headers, _clientIp))
            return default;
        return new Target(pool, snapshot, hash, idempotent, sessions is not null);
    }

    private void StartAccessLog(long started, string? method, string? target)
    {
        _logPending = true;
        _logStarted = started;
        _logMethod = method;
        _logTarget = target;
        _logPool = null;
        _logBackend = null;
        _logStatus = 0;
        _logBytesIn = 0;
        _logBytesOut = -1;
        _logQueueMs = -1;
        _logConnectMs = -1;
        _logTtfbMs = -1;
        _logRetries = 0;
        _logEnd = AccessLogEnd.Ok;
    }

    private void WriteAccessLog(AccessLogEnd end)
    {
        _logPending = false;
        _fastPath.AccessLog.Write(new AccessLogEntry(DateTime.UtcNow, Tcp: false, _clientText!, _fastPath.Listener, _logPool, _logBackend,
            _logMethod, _logTarget, _logStatus, _logBytesIn, _logBytesOut, _logQueueMs, _logConnectMs, _logTtfbMs,
            Stopwatch.GetElapsedTime(_logStarted).TotalMilliseconds, _logRetries, end));
    }

    /// <summary>The head as one span: the first segment, or a copy of the first bytes when the head spans segments.</summary>
    private ReadOnlySpan<byte> HeadSpan(ReadOnlySequence<byte> buffer)
    {
        if (buffer.IsSingleSegment) return buffer.FirstSpan;
        var length = (int)Math.Min(buffer.Length, Http1RequestHead.MaxHeadBytes + 4);
        var scratch = _headScratch ??= ArrayPool<byte>.Shared.Rent(Http1RequestHead.MaxHeadBytes + 4);
        buffer.Slice(0, length).CopyTo(scratch);
        return scratch.AsSpan(0, length);
    }
}
