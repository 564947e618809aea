using Drover.Cli;

namespace Drover.Node.Tests.Commands;

/// <summary>The prompt's line editing at a terminal, driven key by key.</summary>
public sealed class LineEditorTests
{
    private static ConsoleKeyInfo Char(char c) => new(c, ConsoleKey.A, false, false, false);
    private static ConsoleKeyInfo Key(ConsoleKey key, bool control = false) => new('\0', key, false, false, control);

    private static (LineEditor Editor, StringWriter Screen, Queue<ConsoleKeyInfo> Keys) Editor(Func<string, IReadOnlyList<string>>? complete = null)
    {
        var keys = new Queue<ConsoleKeyInfo>();
        var screen = new StringWriter();
        return (new LineEditor(() => keys.Dequeue(), screen, complete), screen, keys);
    }

    private static void Type(Queue<ConsoleKeyInfo> keys, string text)
    {
        foreach (var c in text) keys.Enqueue(Char(c));
    }

    [Fact]
    public void Typing_moving_and_deleting_edit_the_line()
    {
        var (editor, screen, keys) = Editor();
        Type(keys, "clster shw");
        keys.Enqueue(Key(ConsoleKey.Home));
        keys.Enqueue(Key(ConsoleKey.RightArrow));
        keys.Enqueue(Key(ConsoleKey.RightArrow));
        Type(keys, "u");
        keys.Enqueue(Key(ConsoleKey.End));
        keys.Enqueue(Key(ConsoleKey.LeftArrow));
        Type(keys, "o");
        keys.Enqueue(Key(ConsoleKey.Backspace));
        Type(keys, "o");
        keys.Enqueue(Key(ConsoleKey.End));
        Type(keys, "!");
        keys.Enqueue(Key(ConsoleKey.Backspace));
        keys.Enqueue(Key(ConsoleKey.Enter));

        Assert.Equal("cluster show", editor.ReadLine("> "));
        Assert.StartsWith("> ", screen.ToString());
    }

    [Fact]
    public void Up_and_down_walk_the_history_and_keep_the_draft()
    {
        var (editor, _, keys) = Editor();
        editor.AddHistory("cluster show");
        editor.AddHistory("log peek");
        editor.AddHistory("log peek"); // repeated lines are kept once
        Assert.Equal(["cluster show", "log peek"], editor.History);

        Type(keys, "dra");
        keys.Enqueue(Key(ConsoleKey.UpArrow));
        keys.Enqueue(Key(ConsoleKey.UpArrow));
        keys.Enqueue(Key(ConsoleKey.UpArrow)); // already at the oldest
        keys.Enqueue(Key(ConsoleKey.Enter));
        Assert.Equal("cluster show", editor.ReadLine("> "));

        keys.Enqueue(Key(ConsoleKey.UpArrow));
        keys.Enqueue(Key(ConsoleKey.DownArrow));
        keys.Enqueue(Key(ConsoleKey.Enter));
        Assert.Equal("", editor.ReadLine("> "));

        Type(keys, "dr");
        keys.Enqueue(Key(ConsoleKey.UpArrow));
        keys.Enqueue(Key(ConsoleKey.DownArrow));
        Type(keys, "aft");
        keys.Enqueue(Key(ConsoleKey.Enter));
        Assert.Equal("draft", editor.ReadLine("> "));
    }

    [Fact]
    public void Ctrl_c_drops_the_line_ctrl_d_ends_input_ctrl_u_clears()
    {
        var (editor, screen, keys) = Editor();
        Type(keys, "half typed");
        keys.Enqueue(Key(ConsoleKey.C, control: true));
        Assert.Equal("", editor.ReadLine("> "));
        Assert.Contains("^C", screen.ToString());

        Type(keys, "junk");
        keys.Enqueue(Key(ConsoleKey.U, control: true));
        Type(keys, "ok");
        keys.Enqueue(Key(ConsoleKey.D, control: true)); // not on an empty line: ignored
        keys.Enqueue(Key(ConsoleKey.Enter));
        Assert.Equal("ok", editor.ReadLine("> "));

        keys.Enqueue(Key(ConsoleKey.D, control: true));
        Assert.Null(editor.ReadLine("> "));
    }

    [Fact]
    public void Tab_completes_a_single_match_and_a_common_prefix_and_lists_the_rest()
    {
        var (editor, screen, keys) = Editor(before => before.Contains(' ') ? ["show", "status"] : ["cluster", "cluster-sharding", "log"]);
        Type(keys, "l");
        keys.Enqueue(Key(ConsoleKey.Tab));
        keys.Enqueue(Key(ConsoleKey.Enter));
        Assert.Equal("log ", editor.ReadLine("> "));

        Type(keys, "cl");
        keys.Enqueue(Key(ConsoleKey.Tab)); // cluster, the common prefix
        Type(keys, " s");
        keys.Enqueue(Key(ConsoleKey.Tab)); // show | status: nothing in common beyond "s", so list
        keys.Enqueue(Key(ConsoleKey.Enter));
        Assert.Equal("cluster s", editor.ReadLine("> "));
        Assert.Contains("show  status", screen.ToString());
    }
}
