namespace Drover.Node.Tests.Support;

public static class Eventually
{
    /// <summary>Polls until <paramref name="condition"/> holds; fails with <paramref name="what"/> after <paramref name="timeout"/>.</summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, TimeSpan timeout, string what = "condition")
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"not within {timeout}: {what}");
            await Task.Delay(20); // fine-grained: some tests time convergence with it
        }
    }

    public static Task TrueAsync(Func<bool> condition, TimeSpan timeout, string what = "condition") =>
        TrueAsync(() => Task.FromResult(condition()), timeout, what);
}
