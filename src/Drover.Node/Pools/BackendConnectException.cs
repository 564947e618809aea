namespace Drover.Node.Pools;

/// <summary>
/// A TCP connection to a backend could not be made (refused, unreachable, or the connect timeout
/// passed). The backend provably received nothing, so the request may go to another backend,
/// whatever its method.
/// </summary>
public sealed class BackendConnectException(string message, Exception? inner = null) : IOException(message, inner)
{
    /// <summary>True when <paramref name="exception"/> or anything it wraps is a connect failure.</summary>
    public static bool IsConnectFailure(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is BackendConnectException) return true;
            if (e is AggregateException aggregate && aggregate.InnerExceptions.Any(IsConnectFailure)) return true;
        }
        return false;
    }
}
