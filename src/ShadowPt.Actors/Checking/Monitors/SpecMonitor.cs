using System.Diagnostics.CodeAnalysis;

namespace ShadowPt.Checking;

/// <summary>A monitor state's temperature, as in P and Coyote.</summary>
public enum Temperature
{
    /// <summary>Fine to stay in for ever.</summary>
    Cold,

    /// <summary>Something is owed: ending the run here (or staying too long) is a liveness violation.</summary>
    Hot,
}

/// <summary>One state of a <see cref="SpecMonitor"/>, with the handlers of the events it reacts to.</summary>
public sealed class MonitorState
{
    /// <summary>Most handlers one state may have.</summary>
    public const int HandlersMax = 32;

    /// <summary>Handlers in declaration order: the first whose event type matches runs.</summary>
    private readonly List<(Type Event, Action<SpecEvent> Handle)> _handlers = new();

    internal MonitorState(string name, Temperature temperature)
    {
        Name = name;
        Temperature = temperature;
    }

    public string Name { get; }

    public Temperature Temperature { get; }

    public bool IsHot => Temperature == Temperature.Hot;

    internal IEnumerable<Type> HandledEvents => _handlers.Select(h => h.Event);

    /// <summary>In this state, <paramref name="handler"/> runs on every <typeparamref name="TEvent"/>; other events are ignored.</summary>
    public MonitorState On<TEvent>(Action<TEvent> handler)
        where TEvent : SpecEvent
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(_handlers.Count, HandlersMax);
        _handlers.Add((typeof(TEvent), e => handler((TEvent)e)));
        return this;
    }

    /// <summary>The handler for <paramref name="e"/> in this state, or null (ignored).</summary>
    internal Action<SpecEvent>? HandlerFor(SpecEvent e)
    {
        foreach ((Type type, Action<SpecEvent> handle) in _handlers)
        {
            if (type.IsInstanceOfType(e))
            {
                return handle;
            }
        }

        return null;
    }

    public override string ToString() => $"{Name} ({Temperature.ToString().ToLowerInvariant()})";
}

/// <summary>
/// A user's safety and liveness property over the event stream, as P's spec machines and Coyote's
/// monitors: a small state machine whose states are hot or cold. A handler may <see cref="Assert"/>
/// (a failed assertion is a <c>safety</c> violation at once) and <see cref="Goto"/> another state; a
/// monitor still in a hot state when the run ends, or hot for more than <see cref="HotStepsMax"/> steps,
/// is a <c>liveness</c> violation. Monitors observe only: they never change the model. Declare the
/// states and their handlers in the constructor, and call <see cref="Start"/>.
/// </summary>
public abstract class SpecMonitor
{
    /// <summary>Most states one monitor may declare.</summary>
    public const int StatesMax = 64;

    private readonly List<MonitorState> _states = new();

    private MonitorState? _current;

    protected SpecMonitor(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
    }

    public string Name { get; }

    /// <summary>Steps a monitor may stay hot before that is a liveness violation; null: only the end of the run counts.</summary>
    public long? HotStepsMax { get; init; }

    public MonitorState CurrentState => _current ?? throw new InvalidOperationException($"monitor '{Name}' never called Start");

    /// <summary>The step the monitor last became hot at (meaningful while <see cref="CurrentState"/> is hot).</summary>
    public long HotSinceStep { get; private set; }

    /// <summary>Transitions taken so far.</summary>
    public long Transitions { get; private set; }

    /// <summary>Event types some state handles (the hub builds only those).</summary>
    internal IReadOnlySet<Type> HandledEvents => _states.SelectMany(s => s.HandledEvents).ToHashSet();

    /// <summary>The step being handled, so that <see cref="Goto"/> can note when a hot state began.</summary>
    private long _step;

    /// <summary>What the monitor is waiting for, for a liveness report ("the table pid 3 opened at step 120").</summary>
    public virtual string DescribeObligation() => string.Empty;

    protected MonitorState Cold(string name) => DeclareState(name, Temperature.Cold);

    protected MonitorState Hot(string name) => DeclareState(name, Temperature.Hot);

    protected MonitorState DeclareState(string name, Temperature temperature)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(_states.Count, StatesMax);
        if (_states.Any(s => s.Name == name))
        {
            throw new ArgumentException($"monitor '{Name}' declares state '{name}' twice", nameof(name));
        }

        var state = new MonitorState(name, temperature);
        _states.Add(state);
        return state;
    }

    /// <summary>The initial state; call once, in the constructor.</summary>
    protected void Start(MonitorState initial)
    {
        ArgumentNullException.ThrowIfNull(initial);
        Kernel.Bug.On(_current is not null, $"monitor '{Name}' started twice");
        Kernel.Bug.On(!_states.Contains(initial), $"monitor '{Name}' starts in a state it did not declare");
        _current = initial;
    }

    /// <summary>Moves to <paramref name="next"/> (from a handler).</summary>
    protected void Goto(MonitorState next)
    {
        ArgumentNullException.ThrowIfNull(next);
        Kernel.Bug.On(!_states.Contains(next), $"monitor '{Name}' goes to a state it did not declare");
        if (next.IsHot && !CurrentState.IsHot)
        {
            HotSinceStep = _step;
        }

        _current = next;
        Transitions++;
    }

    /// <summary>A safety property: false ends the run with a <c>safety</c> violation carrying <paramref name="message"/>.</summary>
    protected void Assert([DoesNotReturnIf(false)] bool condition, string message)
    {
        if (!condition)
        {
            throw new MonitorAssertionException(message);
        }
    }

    /// <summary>Runs the current state's handler for <paramref name="e"/>, if any.</summary>
    internal void Deliver(SpecEvent e)
    {
        _step = e.Step;
        CurrentState.HandlerFor(e)?.Invoke(e);
    }
}

/// <summary>A monitor's assertion failed.</summary>
public sealed class MonitorAssertionException : Exception
{
    public MonitorAssertionException()
    {
    }

    public MonitorAssertionException(string message)
        : base(message)
    {
    }

    public MonitorAssertionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
