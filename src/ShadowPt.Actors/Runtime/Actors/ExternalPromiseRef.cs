namespace ShadowPt.Runtime.Actors;

/// <summary>The sender of an ask made from outside the system: the first reply completes the task.</summary>
internal sealed class ExternalPromiseRef<T>(IActorRef target) : IActorRef
{
    private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Path => target.Path + "/$promise";

    public Task<T> Task => _completion.Task;

    public void Tell(object message, IActorRef? sender)
    {
        if (message is T reply)
        {
            _completion.TrySetResult(reply);
        }
        else
        {
            _completion.TrySetException(new InvalidCastException($"ask to {target.Path} expected {typeof(T).Name} but the reply was {message.GetType().Name}"));
        }
    }
}
