using System.Net;
using System.Runtime.InteropServices;
using Drover.Core.Balancing;
using Microsoft.AspNetCore.Http;

namespace Drover.Node.Listeners.Http;

/// <summary>
/// The consistent-hash key of a request, hashed without allocating. Strings are hashed as UTF-16
/// bytes, which is the same on every node. A request without the key (no such header or cookie)
/// hashes the client address instead, so it still sticks somewhere sensible.
/// </summary>
internal static class RequestHashing
{
    public static ulong Hash(HashKey key, HttpContext context)
    {
        switch (key.Source)
        {
            case HashKeySource.Header:
                if (context.Request.Headers.TryGetValue(key.Name!, out var header) && header.Count > 0 && header[0] is { } h)
                    return HashChars(h);
                break;
            case HashKeySource.Cookie:
                if (context.Request.Cookies.TryGetValue(key.Name!, out var cookie) && cookie is not null)
                    return HashChars(cookie);
                break;
            case HashKeySource.Path:
                return HashChars(context.Request.Path.Value ?? "/");
        }
        return HashAddress(context.Connection.RemoteIpAddress);
    }

    public static ulong HashAddress(IPAddress? address)
    {
        if (address is null) return 0;
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        Span<byte> bytes = stackalloc byte[16];
        return address.TryWriteBytes(bytes, out var written) ? KeyHash.Hash(bytes[..written]) : 0;
    }

    private static ulong HashChars(ReadOnlySpan<char> value) => KeyHash.Hash(MemoryMarshal.AsBytes(value));
}
