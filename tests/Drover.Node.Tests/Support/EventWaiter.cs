using Akka.Actor;

namespace Drover.Node.Tests.Support;

/// <summary>Waits for the first event of type <typeparamref name="T"/> on a node's event stream that matches a predicate.</summary>
public sealed class EventWaiter<T> : IDisposable
{
    private readonly ActorSystem _system;
    private readonly IActorRef _listener;
    private readonly TaskCompletionSource<T> _event = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public EventWaiter(ActorSystem system, Func<T, bool> predicate)
    {
        _system = system;
        _listener = system.ActorOf(Props.Create(() => new Listener(predicate, _event)));
        system.EventStream.Subscribe(_listener, typeof(T));
    }

    public Task<T> Task => _event.Task;

    public async Task<T> WaitAsync(TimeSpan timeout) => await _event.Task.WaitAsync(timeout);

    public void Dispose()
    {
        _system.EventStream.Unsubscribe(_listener);
        _system.Stop(_listener);
    }

    private sealed class Listener : ReceiveActor
    {
        public Listener(Func<T, bool> predicate, TaskCompletionSource<T> completion) =>
            Receive<T>(e =>
            {
                if (predicate(e)) completion.TrySetResult(e);
            });
    }
}
