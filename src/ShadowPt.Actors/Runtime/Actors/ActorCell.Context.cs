using ShadowPt.Runtime.Async;
using ShadowPt.Runtime.Scheduling;

namespace ShadowPt.Runtime.Actors;

/// <summary>The <see cref="IActorContext"/> operations and the stop / death-watch protocol.</summary>
internal sealed partial class ActorCell
{
    /// <summary>
    /// Set under <see cref="_sync"/> when a stop waits for live children: the children stop first, and
    /// each one that stops meanwhile notifies this cell; the last notice finishes the stop.
    /// </summary>
    private bool _terminating;

    /// <summary>Children whose stop notice a stopping cell still waits for; touched only by this cell's deliveries.</summary>
    private int _childrenStopping;

    public IActorRef ActorOf(Props props, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(props);
        if (IsStopped)
        {
            throw new InvalidOperationException($"{Path} is stopped and cannot create children");
        }

        string childName;
        lock (_sync)
        {
            childName = name ?? string.Create(global::System.Globalization.CultureInfo.InvariantCulture, $"${++_childNameCounter}");
            ValidateName(childName, auto: name is null);
            if (_children.Exists(c => c.Name == childName))
            {
                throw new InvalidOperationException($"{Path} already has a child named '{childName}'");
            }
        }

        ActorCell child = System.NewCell(this, childName, props);
        lock (_sync)
        {
            _children.Add(child);
        }

        child.Start();
        return child.Self;
    }

    public void Stop(IActorRef actor)
    {
        ActorCell target = Resolve(actor);
        System.Dispatcher.Post(this, target, TerminateMessage.Instance, null, ChannelKind.System);
    }

    public void Watch(IActorRef actor)
    {
        ActorCell target = Resolve(actor);
        lock (_sync)
        {
            if (!_watching.Contains(target))
            {
                _watching.Add(target);
            }
        }

        target.AddWatcher(this);
    }

    public void Unwatch(IActorRef actor)
    {
        ActorCell target = Resolve(actor);
        lock (_sync)
        {
            _watching.Remove(target);
        }

        target.RemoveWatcher(this);
    }

    public ICancelable ScheduleTellOnce(long delayTicks, IActorRef target, object message)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(delayTicks);
        ArgumentNullException.ThrowIfNull(message);
        ActorCell to = Resolve(target);
        return System.Dispatcher.Schedule(delayTicks, 0, to, message, message is IInterrupt ? ChannelKind.Interrupt : ChannelKind.User);
    }

    public ICancelable ScheduleTellRepeatedly(long initialDelayTicks, long intervalTicks, IActorRef target, object message)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(initialDelayTicks);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(intervalTicks);
        ArgumentNullException.ThrowIfNull(message);
        ActorCell to = Resolve(target);
        return System.Dispatcher.Schedule(initialDelayTicks, intervalTicks, to, message, message is IInterrupt ? ChannelKind.Interrupt : ChannelKind.User);
    }

    public AskAwaitable<TReply> Ask<TReply>(IActorRef target, object message)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(message);
        var pending = new PendingAsk(this, ++_requestCounter);
        target.Tell(message, pending);
        return new AskAwaitable<TReply>(pending, target);
    }

    public ResumeAwaitable Yield() => new(this, -1);

    public ResumeAwaitable Delay(long delayTicks)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(delayTicks);
        return new ResumeAwaitable(this, delayTicks);
    }

    public bool ChooseBoolean() => System.Dispatcher.ChooseBoolean();

    public int ChooseInteger(int maxExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxExclusive);
        return System.Dispatcher.ChooseInteger(maxExclusive);
    }

    /// <summary>Queues the resumption of an await: at once (a yield) or after a delay.</summary>
    public void ScheduleResume(object continuation, long delayTicks)
    {
        var resume = new Resume(continuation);
        if (delayTicks < 0)
        {
            System.Dispatcher.Post(this, this, resume, Self, ChannelKind.Reply);
        }
        else
        {
            System.Dispatcher.Schedule(delayTicks, 0, this, resume, ChannelKind.Reply);
        }
    }

    /// <summary>
    /// Stops this actor as Akka does: children first, then PostStop, then Terminated to watchers. While
    /// children are still stopping, only system messages reach this cell.
    /// </summary>
    private void HandleTerminate()
    {
        if (IsStopped || _terminating)
        {
            return;
        }

        ActorCell[] children;
        lock (_sync)
        {
            // Every child in this snapshot removes itself after _terminating is set, so each sends one notice.
            children = _children.ToArray();
            _terminating = children.Length > 0;
        }

        _childrenStopping = children.Length;

        if (children.Length == 0)
        {
            FinishTerminate();
            return;
        }

        SetGate(CellGate.Terminating, true);
        foreach (ActorCell child in children)
        {
            System.Dispatcher.Post(this, child, TerminateMessage.Instance, null, ChannelKind.System);
        }
    }

    /// <summary>Runs PostStop, closes the cell, drops its mailbox and tells its watchers (and a parent waiting for it).</summary>
    private void FinishTerminate()
    {
        ActorCell[] watchers;
        ActorCell[] watching;
        try
        {
            Actor?.PostStop();
        }
        finally
        {
            lock (_sync)
            {
                SetGate(CellGate.Stopped, true);
                watchers = _watchers.ToArray();
                _watchers.Clear();
                watching = _watching.ToArray();
                _watching.Clear();
            }

            System.Dispatcher.Detach(this);
            bool parentWaits = ParentCell?.RemoveChild(this) ?? false;
            System.OnStopped(this);
            if (parentWaits && !watchers.Contains(ParentCell!))
            {
                System.Dispatcher.Post(this, ParentCell!, new DeathWatchNotification(this), null, ChannelKind.System);
            }

            foreach (ActorCell watcher in watchers)
            {
                System.Dispatcher.Post(this, watcher, new DeathWatchNotification(this), null, ChannelKind.System);
            }

            foreach (ActorCell target in watching)
            {
                target.RemoveWatcher(this);
            }
        }
    }

    private void HandleDeathWatch(ActorCell stopped)
    {
        bool wasWatching;
        lock (_sync)
        {
            wasWatching = _watching.Remove(stopped);
        }

        if (_terminating)
        {
            // A stopping actor handles nothing; it only counts its children's notices down to the last.
            if (ReferenceEquals(stopped.ParentCell, this) && --_childrenStopping == 0)
            {
                FinishTerminate();
            }

            return;
        }

        if (wasWatching && Actor is { } actor && !actor.Receive(new Terminated(stopped.Self)))
        {
            actor.Unhandled(new Terminated(stopped.Self));
        }
    }

    private void AddWatcher(ActorCell watcher)
    {
        lock (_sync)
        {
            if (!IsStopped)
            {
                if (!_watchers.Contains(watcher))
                {
                    _watchers.Add(watcher);
                }

                return;
            }
        }

        System.Dispatcher.Post(this, watcher, new DeathWatchNotification(this), null, ChannelKind.System);
    }

    private void RemoveWatcher(ActorCell watcher)
    {
        lock (_sync)
        {
            _watchers.Remove(watcher);
        }
    }

    /// <summary>Forgets a stopped child; true when this cell is stopping and waits for it.</summary>
    private bool RemoveChild(ActorCell child)
    {
        lock (_sync)
        {
            _children.Remove(child);
            return _terminating;
        }
    }

    private ActorCell Resolve(IActorRef actor)
    {
        ArgumentNullException.ThrowIfNull(actor);
        return actor is LocalActorRef local && ReferenceEquals(local.Cell.System, System)
            ? local.Cell
            : throw new ArgumentException($"{actor.Path} is not an actor of system '{System.Name}'", nameof(actor));
    }

    private static void ValidateName(string name, bool auto)
    {
        if (name.Length == 0 || name.Length > NameLengthMax)
        {
            throw new ArgumentException($"actor name must have 1 to {NameLengthMax} characters: '{name}'", nameof(name));
        }

        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            bool ok = char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' || (auto && i == 0 && c == '$');
            if (!ok)
            {
                throw new ArgumentException($"actor name may hold only letters, digits, '-', '_' and '.': '{name}'", nameof(name));
            }
        }
    }

    /// <summary>The actor behind /user: takes nothing.</summary>
    private sealed class GuardianActor : ActorBase
    {
        protected internal override bool Receive(object message) => false;
    }
}
