using System.Runtime.InteropServices;

namespace Drover.Core.Io;

/// <summary>A socket descriptor the event loop opened itself (accepted or connecting); closing it closes the socket.</summary>
internal sealed class FileDescriptor : SafeHandle
{
    public FileDescriptor(int fd) : base(invalidHandleValue: -1, ownsHandle: true) => SetHandle(fd);

    public override bool IsInvalid => handle == -1;

    public int Value => (int)handle;

    protected override bool ReleaseHandle() => Libc.Close((int)handle) == 0;
}
