using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Drover.Core.Configuration;

namespace Drover.Node.AccessLog;

/// <summary>
/// The access log: the data path hands entries to a bounded channel (no lock, no wait: when the
/// writer falls behind, entries are dropped and counted rather than slowing traffic), and one
/// background task formats them, text or JSON, and writes them in batches.
/// </summary>
public sealed class AccessLogWriter : IAsyncDisposable
{
    public const int Capacity = 65_536;

    private readonly Channel<AccessLogEntry>? _channel;
    private readonly Task _writer = Task.CompletedTask;
    private readonly Stream? _stream;
    private readonly bool _ownsStream;
    private readonly AccessLogFormat _format;
    private long _dropped;
    private long _written;

    /// <summary>A log that writes nothing (access-log off).</summary>
    public static readonly AccessLogWriter Disabled = new();

    private AccessLogWriter() { }

    public AccessLogWriter(AccessLogConfig config, Stream? stream = null)
    {
        if (!config.Enabled) return;
        _format = config.Format;
        (_stream, _ownsStream) = stream is not null ? (stream, false) : Open(config.Path);
        _channel = Channel.CreateBounded<AccessLogEntry>(new BoundedChannelOptions(Capacity)
        {
            FullMode = BoundedChannelFullMode.DropWrite,
            SingleReader = true,
            SingleWriter = false,
        });
        _writer = Task.Run(WriteLoopAsync);
    }

    public bool Enabled => _channel is not null;

    /// <summary>Entries dropped because the writer could not keep up.</summary>
    public long Dropped => Volatile.Read(ref _dropped);

    public long Written => Volatile.Read(ref _written);

    /// <summary>Queues one entry; never blocks.</summary>
    public void Write(in AccessLogEntry entry)
    {
        if (_channel is null) return;
        if (!_channel.Writer.TryWrite(entry)) Interlocked.Increment(ref _dropped);
    }

    private async Task WriteLoopAsync()
    {
        var reader = _channel!.Reader;
        var buffer = new ArrayBufferWriter<byte>(64 * 1024);
        var text = new StringBuilder(512);
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var entry))
            {
                if (_format == AccessLogFormat.Json) WriteJson(buffer, entry);
                else
                {
                    text.Clear();
                    FormatText(text, entry);
                    text.Append('\n');
                    var span = buffer.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
                    buffer.Advance(Encoding.UTF8.GetBytes(text.ToString(), span));
                }
                Interlocked.Increment(ref _written);
                if (buffer.WrittenCount >= 48 * 1024) await FlushAsync(buffer).ConfigureAwait(false);
            }
            await FlushAsync(buffer).ConfigureAwait(false);
        }
    }

    private async Task FlushAsync(ArrayBufferWriter<byte> buffer)
    {
        if (buffer.WrittenCount == 0) return;
        try
        {
            await _stream!.WriteAsync(buffer.WrittenMemory).ConfigureAwait(false);
            await _stream.FlushAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // A closed stdout or a full disk must not take the proxy down; the lines are lost.
        }
        buffer.Clear();
    }

    /// <summary>
    /// <c>2026-11-23T12:00:00.123Z http 127.0.0.1:51234 web web/b1 "GET /path" 200 in=0 out=1024
    /// queue=0.0 connect=- ttfb=1.2 total=1.5 retries=0 end=ok</c>
    /// </summary>
    public static void FormatText(StringBuilder text, in AccessLogEntry e)
    {
        var inv = CultureInfo.InvariantCulture;
        text.Append(e.Time.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", inv)).Append(' ')
            .Append(e.Tcp ? "tcp" : "http").Append(' ')
            .Append(e.Client).Append(' ')
            .Append(e.Listener).Append(' ')
            .Append(e.Pool ?? "-").Append('/').Append(e.Backend ?? "-").Append(' ');
        if (!e.Tcp)
        {
            text.Append('"').Append(e.Method ?? "-").Append(' ').Append(Sanitize(e.Target)).Append("\" ");
            text.Append(e.Status > 0 ? e.Status.ToString(inv) : "-").Append(' ');
        }
        text.Append("in=").Append(Bytes(e.BytesIn)).Append(" out=").Append(Bytes(e.BytesOut))
            .Append(" queue=").Append(Ms(e.QueueMs)).Append(" connect=").Append(Ms(e.ConnectMs));
        if (!e.Tcp) text.Append(" ttfb=").Append(Ms(e.TtfbMs));
        text.Append(" total=").Append(Ms(e.TotalMs))
            .Append(" retries=").Append(e.Retries.ToString(inv))
            .Append(" end=").Append(e.End.Name());
    }

    public static void WriteJson(IBufferWriter<byte> buffer, in AccessLogEntry e)
    {
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("time", e.Time.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
            json.WriteString("kind", e.Tcp ? "tcp" : "http");
            json.WriteString("client", e.Client);
            json.WriteString("listener", e.Listener);
            json.WriteString("pool", e.Pool);
            json.WriteString("backend", e.Backend);
            if (!e.Tcp)
            {
                json.WriteString("method", e.Method);
                json.WriteString("target", e.Target);
                if (e.Status > 0) json.WriteNumber("status", e.Status);
                else json.WriteNull("status");
            }
            Number(json, "bytes_in", e.BytesIn);
            Number(json, "bytes_out", e.BytesOut);
            Number(json, "queue_ms", e.QueueMs);
            Number(json, "connect_ms", e.ConnectMs);
            if (!e.Tcp) Number(json, "ttfb_ms", e.TtfbMs);
            Number(json, "total_ms", e.TotalMs);
            json.WriteNumber("retries", e.Retries);
            json.WriteString("end", e.End.Name());
            json.WriteEndObject();
        }
        buffer.Write("\n"u8);
    }

    private static void Number(Utf8JsonWriter json, string name, double value)
    {
        if (value < 0) json.WriteNull(name);
        else json.WriteNumber(name, Math.Round(value, 3));
    }

    private static string Bytes(long value) => value < 0 ? "-" : value.ToString(CultureInfo.InvariantCulture);

    private static string Ms(double value) => value < 0 ? "-" : value.ToString("0.0##", CultureInfo.InvariantCulture);

    /// <summary>A target is client input: no quote, space or control character may break the line's fields.</summary>
    private static string Sanitize(string? target)
    {
        if (string.IsNullOrEmpty(target)) return "-";
        foreach (var c in target)
            if (c is '"' or ' ' or '\\' || char.IsControl(c))
                return string.Concat(target.Select(ch => ch is '"' or ' ' or '\\' || char.IsControl(ch) ? $"%{(int)ch:X2}" : ch.ToString()));
        return target;
    }

    private static (Stream, bool) Open(string path) => path switch
    {
        "stdout" => (Console.OpenStandardOutput(), false),
        "stderr" => (Console.OpenStandardError(), false),
        _ => (new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, 4096, useAsync: true), true),
    };

    /// <summary>Writes what is queued, then closes a file it opened.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_channel is null) return;
        _channel.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
        if (_ownsStream) await _stream!.DisposeAsync().ConfigureAwait(false);
    }
}
