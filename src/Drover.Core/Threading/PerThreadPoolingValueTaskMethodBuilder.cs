using System.Runtime.CompilerServices;

namespace Drover.Core.Threading;

/// <summary>
/// The <see cref="ValueTask"/> form of <see cref="PerThreadPoolingValueTaskMethodBuilder{TResult}"/>:
/// suspended state machines live in boxes reused from a per-thread stack.
/// </summary>
public struct PerThreadPoolingValueTaskMethodBuilder
{
    private PerThreadPoolingValueTaskMethodBuilder<bool> _inner;

    public static PerThreadPoolingValueTaskMethodBuilder Create() => default;

    public readonly void Start<TStateMachine>(ref TStateMachine stateMachine) where TStateMachine : IAsyncStateMachine =>
        _inner.Start(ref stateMachine);

    public readonly void SetStateMachine(IAsyncStateMachine stateMachine)
    {
    }

    public void SetResult() => _inner.SetResult(true);

    public void SetException(Exception exception) => _inner.SetException(exception);

    public ValueTask Task => _inner.UntypedTask;

    public void AwaitOnCompleted<TAwaiter, TStateMachine>(ref TAwaiter awaiter, ref TStateMachine stateMachine)
        where TAwaiter : INotifyCompletion
        where TStateMachine : IAsyncStateMachine =>
        _inner.AwaitOnCompleted(ref awaiter, ref stateMachine);

    public void AwaitUnsafeOnCompleted<TAwaiter, TStateMachine>(ref TAwaiter awaiter, ref TStateMachine stateMachine)
        where TAwaiter : ICriticalNotifyCompletion
        where TStateMachine : IAsyncStateMachine =>
        _inner.AwaitUnsafeOnCompleted(ref awaiter, ref stateMachine);
}
