using System.Buffers;

namespace Drover.Core.Commands;

/// <summary>
/// Reads <c>\n</c>-terminated UTF-8 lines from a stream, refusing lines over
/// <see cref="FrameCodec.MaxFrameBytes"/> and bytes that are not UTF-8, so garbage costs a bounded
/// amount of memory and ends in a <see cref="FrameException"/>.
/// </summary>
public sealed class FrameReader(Stream stream) : IDisposable
{
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(4096);
    private int _start;
    private int _end;

    /// <summary>The next line without its terminator (a trailing <c>\r</c> is dropped too), or null at end of stream.</summary>
    public async ValueTask<string?> ReadLineAsync(CancellationToken cancellationToken = default)
    {
        var scanned = 0; // bytes after _start already known to hold no '\n'
        while (true)
        {
            var newline = Array.IndexOf(_buffer, (byte)'\n', _start + scanned, _end - _start - scanned);
            if (newline >= 0)
            {
                var length = newline - _start;
                if (length > 0 && _buffer[newline - 1] == '\r') length--;
                string line;
                try
                {
                    line = FrameCodec.StrictUtf8.GetString(_buffer, _start, length);
                }
                catch (ArgumentException)
                {
                    throw new FrameException("a frame must be UTF-8 text");
                }
                _start = newline + 1;
                return line;
            }
            scanned = _end - _start;
            if (scanned > FrameCodec.MaxFrameBytes)
                throw new FrameException($"a line longer than {FrameCodec.MaxFrameBytes} bytes is not a frame");

            MakeRoom();
            var read = await stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                if (_end > _start) throw new FrameException("the connection ended in the middle of a frame");
                return null;
            }
            _end += read;
        }
    }

    private void MakeRoom()
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(_buffer.Length * 2);
            Buffer.BlockCopy(_buffer, 0, bigger, 0, _end);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = bigger;
        }
    }

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, []);
        if (buffer.Length > 0) ArrayPool<byte>.Shared.Return(buffer);
    }
}
