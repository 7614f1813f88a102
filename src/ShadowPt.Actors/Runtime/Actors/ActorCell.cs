using ShadowPt.Runtime.Async;
using ShadowPt.Runtime.Scheduling;

namespace ShadowPt.Runtime.Actors;

/// <summary>
/// The runtime side of one actor: identity, children, watchers, the gate that says which messages it
/// may take now, and the async handler it is suspended in. Only its own delivery touches it, except
/// for the dispatcher slots at the end, which belong to the scheduler that runs it.
/// </summary>
internal sealed partial class ActorCell : IActorContext
{
    /// <summary>Longest actor name accepted.</summary>
    public const int NameLengthMax = 64;

    /// <summary>The cell whose handler runs on this thread, if any.</summary>
    [ThreadStatic]
    private static ActorCell? s_current;

    /// <summary>The cell whose actor is being constructed on this thread, if any.</summary>
    [ThreadStatic]
    private static ActorCell? s_constructing;

    /// <summary>Live children in creation order.</summary>
    private readonly List<ActorCell> _children = new();

    /// <summary>Cells that watch this one.</summary>
    private readonly List<ActorCell> _watchers = new();

    /// <summary>Cells this one watches.</summary>
    private readonly List<ActorCell> _watching = new();

    /// <summary>Guards children and watchers, which other threads touch under the threaded scheduler.</summary>
    private readonly Lock _sync = new();

    /// <summary>The props the actor was made from; null for the guardian.</summary>
    private readonly Props? _props;

    /// <summary>The async handler the actor is suspended in; default when none.</summary>
    private ActorTask _rootTask;

    /// <summary>The sender of the message whose async handler is suspended: what <c>Sender</c> is again when it resumes, as in Akka.NET.</summary>
    private IActorRef? _rootSender;

    /// <summary>Cached continuation run when <see cref="_rootTask"/> completes.</summary>
    private Action? _onRootCompleted;

    /// <summary>Counter for auto-generated child names.</summary>
    private long _childNameCounter;

    /// <summary>Counter for ask request ids.</summary>
    private long _requestCounter;

    private SimLog? _log;

    public ActorCell(ActorSystem system, int id, ActorCell? parent, string name, Props? props)
    {
        System = system;
        Id = id;
        ParentCell = parent;
        Name = name;
        Path = parent is null ? "/" + name : parent.Path + "/" + name;
        _props = props;
        Self = new LocalActorRef(this);
    }

    public static ActorCell? Current => s_current;

    /// <summary>
    /// Sets the thread's current cell back to <paramref name="outer"/>, what it was before a batch of
    /// <see cref="Invoke"/> calls. A scheduler reads <see cref="Current"/> before the batch and calls
    /// this after it (in a finally) and before running anything else on the thread between deliveries.
    /// </summary>
    public static void RestoreCurrent(ActorCell? outer) => s_current = outer;

    public static ActorCell? Constructing => s_constructing;

    public static IActorRef NoSender { get; } = new NoSenderRef();

    public ActorSystem System { get; }

    /// <summary>Dense id, in creation order; deterministic under the deterministic scheduler.</summary>
    public int Id { get; }

    public string Name { get; }

    public string Path { get; }

    public ActorCell? ParentCell { get; }

    public ActorBase? Actor { get; private set; }

    public IActorRef? CurrentSender { get; private set; }

    public CellGate Gate { get; private set; }

    public bool IsStopped => (Gate & CellGate.Stopped) != 0;

    // ---- dispatcher slots (deterministic scheduler) ----

    /// <summary>Channels into this cell, in creation order.</summary>
    public List<Channel> InboundChannels { get; } = new();

    /// <summary><see cref="InboundChannels"/> of each <see cref="ChannelKind"/>, in creation order; filled by <see cref="AddInboundChannel"/>.</summary>
    private readonly List<Channel>[] _inboundChannelsByKind = [new(), new(), new(), new()];

    /// <summary>The channel this cell sent on last; most senders talk to one receiver at a time.</summary>
    public Channel? LastOutChannel { get; set; }

    /// <summary>Messages queued for this cell across all its channels.</summary>
    public int QueuedCount { get; set; }

    /// <summary>System messages queued for this cell; while positive, the gate holds everything else back.</summary>
    public int SystemQueuedCount { get; set; }

    /// <summary>Records a new channel into this cell (deterministic scheduler).</summary>
    public void AddInboundChannel(Channel channel)
    {
        InboundChannels.Add(channel);
        _inboundChannelsByKind[(int)channel.Kind].Add(channel);
    }

    /// <summary>The channels of one kind into this cell, in creation order: a subsequence of <see cref="InboundChannels"/>.</summary>
    public List<Channel> InboundChannelsOf(ChannelKind kind) => _inboundChannelsByKind[(int)kind];

    // ---- dispatcher slots (threaded scheduler) ----

    public Mailbox? Mailbox { get; set; }

    IActorRef IActorContext.Self => Self;

    public LocalActorRef Self { get; }

    IActorRef? IActorContext.Sender => CurrentSender;

    IActorRef? IActorContext.Parent => ParentCell?.Self;

    public IReadOnlyList<IActorRef> Children
    {
        get
        {
            lock (_sync)
            {
                return _children.Select(c => (IActorRef)c.Self).ToArray();
            }
        }
    }

    public Ticks Now => System.Dispatcher.Now;

    public long Step => System.Dispatcher.Step;

    public SimLog Log => _log ??= new SimLog(this);

    public bool InterruptsDisabled
    {
        get => (Gate & CellGate.IrqsDisabled) != 0;
        set => SetGate(CellGate.IrqsDisabled, value);
    }

    /// <summary>Constructs the actor and runs PreStart, inside this cell's context.</summary>
    public void Start()
    {
        ActorCell? previousConstructing = s_constructing;
        ActorCell? previousCurrent = s_current;
        s_constructing = this;
        s_current = this;
        try
        {
            Actor = _props is null ? new GuardianActor() : _props.NewActor();
            Actor.PreStart();
        }
        finally
        {
            s_constructing = previousConstructing;
            s_current = previousCurrent;
        }
    }

    /// <summary>
    /// Delivers one message that came on a channel of <paramref name="kind"/>: the only entry point for
    /// running this actor's code. This cell stays the thread's current cell afterwards: the scheduler
    /// restores the outer one once per batch (<see cref="RestoreCurrent"/>), which saves two
    /// thread-static accesses per delivery.
    /// </summary>
    /// <param name="message">The message.</param>
    /// <param name="sender">What the handler sees as <c>Sender</c>.</param>
    /// <param name="kind">The kind of channel it came on.</param>
    /// <param name="messageType">The message's runtime type when the caller already has it, else null.</param>
    public void Invoke(object message, IActorRef? sender, ChannelKind kind, Type? messageType = null)
    {
        s_current = this;
        CurrentSender = sender;
        try
        {
            bool handled = kind is ChannelKind.System or ChannelKind.Reply && DispatchRuntimeMessage(message, kind);
            if (!handled)
            {
                DispatchUser(message, messageType);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException and not Recording.ScheduleDivergedException)
        {
            // A first ask reply travels as its PendingAsk: the failure names the reply as for any other.
            object failed = kind == ChannelKind.Reply && message is PendingAsk ask ? new AskReply(ask, ask.PostedReply!) : message;
            System.Dispatcher.ReportFailure(this, failed, e);
        }
        finally
        {
            CurrentSender = null;
        }
    }

    /// <summary>
    /// Handles the runtime's own messages; false for any other. They come only on system and reply
    /// channels (stop, death watch; ask replies, resumptions), so user and interrupt deliveries skip this.
    /// </summary>
    private bool DispatchRuntimeMessage(object message, ChannelKind kind)
    {
        if (kind == ChannelKind.Reply && message is PendingAsk ask)
        {
            // The first reply of an ask (see PendingAsk): as an AskReply below.
            CurrentSender = _rootSender;
            if (!ask.Complete(ask.PostedReply!))
            {
                System.CountDeadLetter();
            }

            return true;
        }

        switch (message)
        {
            case TerminateMessage:
                HandleTerminate();
                return true;
            case DeathWatchNotification notice:
                HandleDeathWatch(notice.Stopped);
                return true;
            case AskReply reply:
                CurrentSender = _rootSender;
                if (!reply.Pending.Complete(reply.Message))
                {
                    System.CountDeadLetter();
                }

                return true;
            case Resume resume:
                CurrentSender = _rootSender;
                Async.Continuation.Run(resume.Continuation);
                return true;
            default:
                return false;
        }
    }

    private void DispatchUser(object message, Type? messageType)
    {
        if (message is PoisonPill)
        {
            System.Dispatcher.Post(this, this, TerminateMessage.Instance, null, ChannelKind.System);
            return;
        }

        ActorBase actor = Actor ?? throw new InvalidOperationException($"{Path} received a message before it started");
        bool handled = messageType is null ? actor.Receive(message) : actor.Receive(message, messageType);
        if (!handled)
        {
            actor.Unhandled(message);
        }
    }

    public void SetGate(CellGate flag, bool on)
    {
        CellGate next = on ? Gate | flag : Gate & ~flag;
        if (next == Gate)
        {
            return;
        }

        CellGate changed = next ^ Gate;
        Gate = next;
        System.Dispatcher.GateChanged(this, changed);
    }

    /// <summary>Takes over the task an async handler returned: a suspended one closes the gate to user messages until it completes.</summary>
    public void Adopt(ActorTask task)
    {
        ActorTaskAwaiter awaiter = task.GetAwaiter();
        if (awaiter.IsCompleted)
        {
            awaiter.GetResult();
            return;
        }

        if ((Gate & CellGate.Awaiting) != 0)
        {
            throw new InvalidOperationException($"{Path}: a handler suspended while another async handler of the same actor was suspended");
        }

        _rootTask = task;
        _rootSender = CurrentSender;
        SetGate(CellGate.Awaiting, true);
        awaiter.OnCompleted(_onRootCompleted ??= OnRootCompleted);
    }

    /// <summary>
    /// Takes over a task that does not close the mailbox while it is suspended: the actor keeps taking
    /// messages and orders its work itself (a CPU's run queue). A fault of the task still fails the
    /// run, from the delivery that resumed it. No delegate: the task's source takes its own result when it completes.
    /// </summary>
    public void AdoptDetached(ActorTask task)
    {
        ActorTaskAwaiter awaiter = task.GetAwaiter();
        if (awaiter.IsCompleted)
        {
            awaiter.GetResult();
            return;
        }

        awaiter.OnCompletedDetached();
    }

    private void OnRootCompleted()
    {
        ActorTask task = _rootTask;
        _rootTask = default;
        _rootSender = null;
        SetGate(CellGate.Awaiting, false);
        task.GetAwaiter().GetResult();
    }
}
