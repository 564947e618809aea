namespace Drover.Core.Io;

/// <summary>On a connection driven by an <see cref="EventLoop"/>: the loop, so that sockets opened for it (backends) join the same thread.</summary>
public interface IEventLoopFeature
{
    EventLoop Loop { get; }
}
