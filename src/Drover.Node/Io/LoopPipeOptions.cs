using System.Buffers;
using System.IO.Pipelines;

namespace Drover.Node.Io;

/// <summary>
/// The pipe settings of a listener's <see cref="LoopConnection"/>s, made once per listener rather than
/// per connection: Kestrel's defaults for its socket transport (reads pause at 1 MiB unread, writes at
/// 64 KiB unsent), continuations inline so a request is proxied on the loop thread that received it.
/// </summary>
internal sealed class LoopPipeOptions(MemoryPool<byte> pool)
{
    public PipeOptions Input { get; } = new(pool, PipeScheduler.Inline, PipeScheduler.Inline, 1024 * 1024, 512 * 1024, useSynchronizationContext: false);

    public PipeOptions Output { get; } = new(pool, PipeScheduler.Inline, PipeScheduler.Inline, 64 * 1024, 32 * 1024, useSynchronizationContext: false);
}
