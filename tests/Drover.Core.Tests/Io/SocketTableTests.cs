using Drover.Core.Io;
using Microsoft.Win32.SafeHandles;
using Xunit;

namespace Drover.Core.Tests.Io;

public sealed class SocketTableTests
{
    private static readonly EventLoop Loop = EventLoopGroup.Shared.Loops[0];

    [Fact]
    public void A_token_finds_its_socket_until_it_is_removed_even_after_its_slot_goes_to_another()
    {
        var table = new SocketTable();
        var (first, second, third) = (Unregistered(), Unregistered(), Unregistered());
        table.Add(first);
        table.Add(second);
        table.Add(third);
        Assert.Same(second, table.Find(second.Token));
        Assert.Equal(3, table.Count);

        var stale = second.Token;
        table.Remove(second);
        var fourth = Unregistered();
        table.Add(fourth);

        Assert.Equal((uint)stale, (uint)fourth.Token); // the freed slot, again
        Assert.NotEqual(stale, fourth.Token); // under another generation
        Assert.Null(table.Find(stale)); // so an event still queued for the old socket reaches nobody
        Assert.Same(fourth, table.Find(fourth.Token));
        Assert.Same(first, table.Find(first.Token));
        Assert.Same(third, table.Find(third.Token));
        Assert.Equal(3, table.Count);
    }

    [Fact]
    public void The_table_grows_and_removing_twice_or_what_was_never_added_changes_nothing()
    {
        var table = new SocketTable();
        var sockets = Enumerable.Range(0, 300).Select(_ => Unregistered()).ToList();
        foreach (var socket in sockets) table.Add(socket);
        Assert.All(sockets, socket => Assert.Same(socket, table.Find(socket.Token)));
        Assert.DoesNotContain(0UL, sockets.Select(socket => socket.Token));

        table.Remove(sockets[7]);
        table.Remove(sockets[7]);
        table.Remove(Unregistered());
        Assert.Equal(299, table.Count);
        Assert.Null(table.Find(sockets[7].Token));
        Assert.Null(table.Find(0));
        Assert.Null(table.Find(ulong.MaxValue));
    }

    // Never registered with the loop nor used: the table only needs the object.
    private static LoopSocket Unregistered() => new(Loop, new SafeFileHandle(-1, ownsHandle: false), registerWhenWaiting: true);
}
