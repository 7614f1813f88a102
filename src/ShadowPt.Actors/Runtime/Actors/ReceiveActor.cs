using System.Diagnostics;
using System.Runtime.CompilerServices;
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

    /// <summary>Slots of <see cref="_recent"/>.</summary>
    private const int RecentLength = 8;

    /// <summary>
    /// Candidates per message type beyond the first <see cref="RecentLength"/> types (see <see cref="_recent"/>),
    /// computed on first use; made when first needed, cleared by <see cref="Become"/>.
    /// </summary>
    private Dictionary<Type, Handler[]>? _candidatesByType;

    /// <summary>
    /// The candidates of the first <see cref="RecentLength"/> message types, computed on first use and
    /// scanned by reference: an actor sees a few message types in turn, and comparing a few references
    /// is cheaper than hashing the type. Cleared by <see cref="Become"/>.
    /// </summary>
    private readonly (Type? Type, Handler[] Candidates)[] _recent = new (Type?, Handler[])[RecentLength];

    /// <summary>Used slots of <see cref="_recent"/>.</summary>
    private int _recentCount;

    /// <summary>One-entry cache in front of <see cref="_candidatesByType"/>: most actors see one type in a row.</summary>
    private Type? _lastType;

    /// <summary>The candidates of <see cref="_lastType"/>.</summary>
    private Handler[] _lastCandidates = [];

    protected void Receive<T>(Action<T> handler) => Receive(null, handler);

    protected void Receive<T>(Predicate<T>? shouldHandle, Action<T> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        Add(new Handler<T>(shouldHandle, handler));
    }

    /// <summary>Registers a handler that runs as sequential code with scheduling points at each await.</summary>
    protected void ReceiveAsync<T>(Func<T, ActorTask> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        Add(new Handler<T>(null, m => Cell.Adopt(handler(m))));
    }

    /// <summary>Handles any message not taken by an earlier handler.</summary>
    protected void ReceiveAny(Action<object> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        Add(new Handler<object>(null, handler));
    }

    /// <summary>Replaces the behaviour: clears the handlers and lets <paramref name="configure"/> register new ones.</summary>
    protected void Become(Action configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        _handlers.Clear();
        ClearCandidates();
        configure();
    }

    protected internal sealed override bool Receive(object message) => Receive(message, message.GetType());

    internal sealed override bool Receive(object message, Type type)
    {
        Debug.Assert(ReferenceEquals(type, message.GetType()), "the caller passes the message's own type");
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
            if (h.TryHandle(message))
            {
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
        ClearCandidates();
    }

    private void ClearCandidates()
    {
        _candidatesByType?.Clear();
        Array.Clear(_recent);
        _recentCount = 0;
        _lastType = null;
        _lastCandidates = [];
    }

    private Handler[] CandidatesFor(Type type)
    {
        (Type? Type, Handler[] Candidates)[] recent = _recent;
        for (int i = 0; i < _recentCount; i++)
        {
            if (ReferenceEquals(recent[i].Type, type))
            {
                return recent[i].Candidates;
            }
        }

        if (_candidatesByType is not null && _candidatesByType.TryGetValue(type, out Handler[]? candidates))
        {
            return candidates;
        }

        candidates = Matching(type);
        if (_recentCount < RecentLength)
        {
            recent[_recentCount++] = (type, candidates);
        }
        else
        {
            (_candidatesByType ??= new())[type] = candidates;
        }

        return candidates;
    }

    /// <summary>The handlers that take <paramref name="type"/>, in registration order; a loop, as each actor of each world computes this once per type.</summary>
    private Handler[] Matching(Type type)
    {
        int count = 0;
        foreach (Handler h in _handlers)
        {
            count += h.MessageType.IsAssignableFrom(type) ? 1 : 0;
        }

        if (count == 0)
        {
            return [];
        }

        var matching = new Handler[count];
        int next = 0;
        foreach (Handler h in _handlers)
        {
            if (h.MessageType.IsAssignableFrom(type))
            {
                matching[next++] = h;
            }
        }

        return matching;
    }

    /// <summary>One registered handler.</summary>
    private abstract class Handler(Type messageType)
    {
        public Type MessageType { get; } = messageType;

        /// <summary>Runs the handler when its predicate takes <paramref name="message"/>, which is an instance of <see cref="MessageType"/>.</summary>
        public abstract bool TryHandle(object message);
    }

    /// <summary>A handler of messages of type <typeparamref name="T"/>: one virtual call and the user's delegate per message.</summary>
    private sealed class Handler<T>(Predicate<T>? shouldHandle, Action<T> action) : Handler(typeof(T))
    {
        public override bool TryHandle(object message)
        {
            Debug.Assert(message is T, "candidates are filtered by type");

            // The candidates of a message type hold only handlers whose type it is assignable to, so a
            // reference type needs no second cast check; a value type is unboxed as usual.
            T typed = typeof(T).IsValueType ? (T)message : Unsafe.As<object, T>(ref message);
            if (shouldHandle is not null && !shouldHandle(typed))
            {
                return false;
            }

            action(typed);
            return true;
        }
    }
}
