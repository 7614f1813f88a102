using ShadowPt.Runtime.Async;

namespace ShadowPt.Runtime.Actors;

/// <summary>
/// An actor whose behaviour is a list of typed handlers registered in its constructor, as in
/// Akka.NET's <c>ReceiveActor</c>. The first handler whose type (and predicate) matches wins.
/// </summary>
public abstract class ReceiveActor : ActorBase
{
    /// <summary>Upper bound on handlers one behaviour may register.</summary>
    public const int HandlersMax = 256;

    /// <summary>The handlers of the current behaviour, in registration order.</summary>
    private readonly List<Handler> _handlers = new();

    /// <summary>Candidates per message type, computed on first use; cleared by <see cref="Become"/>.</summary>
    private readonly Dictionary<Type, Handler[]> _candidatesByType = new();

    /// <summary>One-entry cache in front of <see cref="_candidatesByType"/>: most actors see one type in a row.</summary>
    private Type? _lastType;

    /// <summary>The candidates of <see cref="_lastType"/>.</summary>
    private Handler[] _lastCandidates = [];

    protected void Receive<T>(Action<T> handler) => Receive(null, handler);

    protected void Receive<T>(Predicate<T>? shouldHandle, Action<T> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        Add(new Handler(typeof(T), shouldHandle is null ? null : m => shouldHandle((T)m), m => handler((T)m)));
    }

    /// <summary>Registers a handler that runs as sequential code with scheduling points at each await.</summary>
    protected void ReceiveAsync<T>(Func<T, ActorTask> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        Add(new Handler(typeof(T), null, m => Cell.Adopt(handler((T)m))));
    }

    /// <summary>Handles any message not taken by an earlier handler.</summary>
    protected void ReceiveAny(Action<object> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        Add(new Handler(typeof(object), null, handler));
    }

    /// <summary>Replaces the behaviour: clears the handlers and lets <paramref name="configure"/> register new ones.</summary>
    protected void Become(Action configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        _handlers.Clear();
        _candidatesByType.Clear();
        _lastType = null;
        _lastCandidates = [];
        configure();
    }

    protected internal sealed override bool Receive(object message)
    {
        Type type = message.GetType();
        Handler[] candidates;
        if (ReferenceEquals(type, _lastType))
        {
            candidates = _lastCandidates;
        }
        else
        {
            candidates = CandidatesFor(type);
            _lastType = type;
            _lastCandidates = candidates;
        }

        foreach (Handler h in candidates)
        {
            if (h.ShouldHandle is null || h.ShouldHandle(message))
            {
                h.Action(message);
                return true;
            }
        }

        return false;
    }

    private void Add(Handler handler)
    {
        if (_handlers.Count >= HandlersMax)
        {
            throw new InvalidOperationException($"more than {HandlersMax} handlers in one behaviour of {GetType().Name}");
        }

        _handlers.Add(handler);
        _candidatesByType.Clear();
        _lastType = null;
    }

    private Handler[] CandidatesFor(Type type)
    {
        if (!_candidatesByType.TryGetValue(type, out Handler[]? candidates))
        {
            candidates = _handlers.Where(h => h.MessageType.IsAssignableFrom(type)).ToArray();
            _candidatesByType[type] = candidates;
        }

        return candidates;
    }

    /// <summary>One registered handler.</summary>
    private sealed record Handler(Type MessageType, Func<object, bool>? ShouldHandle, Action<object> Action);
}
