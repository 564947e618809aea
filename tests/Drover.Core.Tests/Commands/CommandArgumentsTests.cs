using Drover.Core.Commands;

namespace Drover.Core.Tests.Commands;

public sealed class CommandArgumentsTests
{
    private static readonly CommandSpec Down = new("down", "down a member", new ArgumentSpec("address", "a", "the member", Required: true));
    private static readonly CommandSpec Hierarchy = new("hierarchy", "actors",
        new ArgumentSpec("depth", "d", "levels", Kind: ArgumentKind.Number),
        new ArgumentSpec("start", "s", "path"),
        new ArgumentSpec("verbose", null, "more", Kind: ArgumentKind.Flag));

    private static Dictionary<string, string> Bind(CommandSpec command, params string[] words)
    {
        Assert.True(CommandArguments.TryBind("p", command, words, out var values, out var error), error);
        return values;
    }

    private static string Fails(CommandSpec command, params string[] words)
    {
        Assert.False(CommandArguments.TryBind("p", command, words, out _, out var error));
        return error;
    }

    [Theory]
    [InlineData("-a", "10.0.0.5:4053")]
    [InlineData("--address", "10.0.0.5:4053")]
    [InlineData("--address=10.0.0.5:4053")]
    [InlineData("-a=10.0.0.5:4053")]
    public void Short_long_and_inline_switches_bind_by_long_name(params string[] words) =>
        Assert.Equal("10.0.0.5:4053", Bind(Down, words)["address"]);

    [Fact]
    public void Optional_numbers_and_flags_bind()
    {
        var values = Bind(Hierarchy, "-d", "3", "--verbose", "-s", "/user");
        Assert.Equal("3", values["depth"]);
        Assert.Equal(CommandArguments.FlagValue, values["verbose"]);
        Assert.Equal("/user", values["start"]);
        Assert.Empty(Bind(Hierarchy));
    }

    [Fact]
    public void A_negative_number_is_a_value_not_a_switch() =>
        Assert.Equal("-1", Bind(Hierarchy, "-d", "-1")["depth"]);

    [Fact]
    public void Errors_name_the_command_the_switch_and_the_usage()
    {
        Assert.Equal("p down: missing -a/--address ADDRESS (usage: p down -a ADDRESS)", Fails(Down));
        Assert.Contains("unknown option '-x' (options: -a/--address)", Fails(Down, "-x", "1"));
        Assert.Contains("unknown option '--adress'", Fails(Down, "--adress=1"));
        Assert.Contains("-a/--address needs a value", Fails(Down, "-a"));
        Assert.Contains("unexpected 'stray'", Fails(Down, "stray"));
        Assert.Contains("given twice", Fails(Down, "-a", "1", "--address", "2"));
        Assert.Contains("-d/--depth: 'deep' is not a whole number", Fails(Hierarchy, "-d", "deep"));
        Assert.Contains("is a flag and takes no value", Fails(Hierarchy, "--verbose=yes"));
        Assert.Contains("-a/--address must not be empty", Fails(Down, "-a", " "));
    }

    [Fact]
    public void Validate_refuses_names_the_command_does_not_have()
    {
        Assert.False(CommandArguments.Validate("p", Down, new Dictionary<string, string> { ["address"] = "x", ["force"] = "true" }, out var error));
        Assert.Contains("unknown option '--force'", error);
    }

    [Theory]
    [InlineData("cluster show", new[] { "cluster", "show" })]
    [InlineData("  log   peek -c 5 ", new[] { "log", "peek", "-c", "5" })]
    [InlineData("query -e \"a b\" -r 'x y'", new[] { "query", "-e", "a b", "-r", "x y" })]
    [InlineData("query -e a\\ b", new[] { "query", "-e", "a b" })]
    [InlineData("query -e \"\"", new[] { "query", "-e", "" })]
    public void Lines_split_into_words_with_quotes(string line, string[] expected)
    {
        Assert.True(CommandLineTokens.TrySplit(line, out var words, out _));
        Assert.Equal(expected, words);
    }

    [Fact]
    public void An_unclosed_quote_is_an_error()
    {
        Assert.False(CommandLineTokens.TrySplit("query -e \"abc", out _, out var error));
        Assert.Equal("unclosed \" quote", error);
    }

    [Fact]
    public void Unknown_names_suggest_the_closest()
    {
        var catalog = new PaletteCatalog([new PaletteSpec("cluster", "c", [Down, new CommandSpec("show", "s")]), new PaletteSpec("log", "l", [])]);
        Assert.Equal("unknown palette 'clustr' (did you mean 'cluster'? palettes: cluster, log)", catalog.UnknownPalette("clustr"));
        Assert.False(catalog.TryResolve("cluster", "shw", out _, out _, out var error));
        Assert.Equal("unknown command 'cluster shw' (did you mean 'show'? cluster commands: down, show)", error);
        Assert.Equal("unknown palette 'zzzzzz' (palettes: cluster, log)", catalog.UnknownPalette("zzzzzz"));
    }

    [Fact]
    public void Malformed_palettes_are_reported()
    {
        var bad = new PaletteSpec("Bad", "x", [
            new CommandSpec("a", "x", new ArgumentSpec("one", "o", "x"), new ArgumentSpec("other", "o", "x")),
            new CommandSpec("a", "x"),
        ]);
        var problems = bad.Problems();
        Assert.Contains(problems, p => p.Contains("palette name 'Bad'"));
        Assert.Contains(problems, p => p.Contains("command 'a' is defined twice"));
        Assert.Contains(problems, p => p.Contains("short switch '-o'"));
        Assert.Empty(new PaletteSpec("cluster", "c", [Down, Hierarchy]).Problems());
    }
}
