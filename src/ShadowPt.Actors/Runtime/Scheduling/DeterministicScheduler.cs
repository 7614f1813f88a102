using System.Diagnostics;
using Microsoft.Extensions.Logging;
using ShadowPt.Runtime.Actors;
using ShadowPt.Runtime.Recording;
using ShadowPt.Runtime.Strategies;

namespace ShadowPt.Runtime.Scheduling;

/// <summary>
/// Runs the world on one thread, one delivery per step, the strategy choosing each step among the
/// heads of the ready channels. Time advances only when nothing is ready, to the next timer.
/// Every choice is recorded and folded into the trace hash, so a run is a pure function of
/// (scenario, strategy, seed) and a saved schedule replays it exactly.
/// </summary>
internal sealed partial class DeterministicScheduler : Dispatcher
{
    /// <summary>Most slots of <see cref="_channelCache"/>; a power of two, at most 1024 (the slot takes the hash's top 10 bits).</summary>
    private const int ChannelCacheLengthMax = 1024;

    /// <summary>Slots of <see cref="_channelCache"/> at first; a power of two.</summary>
    private const int ChannelCacheLengthInitial = 64;

    private readonly SchedulingStrategy _strategy;
    private readonly RuntimeLimits _limits;
    private readonly ILogger _logger;

    /// <summary><see cref="RuntimeLimits.StepsMax"/>, read once: the hot loop should not chase the record.</summary>
    private readonly long _stepsMax;

    /// <summary><see cref="RuntimeLimits.ChoicesMax"/>, read once.</summary>
    private readonly long _choicesMax;

    /// <summary><see cref="RuntimeLimits.MailboxMessagesMax"/>, read once.</summary>
    private readonly int _mailboxMessagesMax;

    /// <summary>Every channel ever created, indexed by id; the first <see cref="_channelCount"/> slots are used.</summary>
    private Channel[] _channels = new Channel[64];

    private int _channelCount;

    /// <summary>Channels by (sender id, receiver id, kind); see <see cref="Key"/>.</summary>
    private readonly Dictionary<long, Channel> _channelsByKey = new();

    /// <summary>
    /// A direct-mapped cache in front of <see cref="_channelsByKey"/>, for senders that talk to many
    /// receivers in turn (a fan-out misses the sender's <see cref="ActorCell.LastOutChannel"/> every time).
    /// It starts small and is replaced by a larger, empty one as channels are created (at least two
    /// slots per channel, up to <see cref="ChannelCacheLengthMax"/>): a small world no longer allocates
    /// 8 KiB of it. Entries are checked against the key, so what it holds never changes a lookup's result.
    /// </summary>
    private Channel?[] _channelCache = new Channel?[ChannelCacheLengthInitial];

    /// <summary>
    /// The ids of the channels whose head may be delivered now; swap-remove keeps it dense. Ids rather
    /// than references: adding and removing are the hottest writes of a run, and ints need no GC write barrier.
    /// </summary>
    private int[] _ready = new int[64];

    private int _readyCount;

    private readonly ScheduleRecorder _recorder = new();

    /// <summary>Set by <see cref="Dispose"/>: the recorder's chunks went back to the pool.</summary>
    private bool _disposed;

    /// <summary>The last fingerprinted message type: a one-entry cache in front of <see cref="MessageTypeInfo"/>.</summary>
    private Type? _lastType;
    private ulong _lastTypeHash;

    private TraceHash _trace;

    /// <summary>The first violation of the run; a field, as the hot loop tests it every step.</summary>
    private Violation? _violation;

    /// <summary>Whether <see cref="_lastType"/> implements <see cref="ITraceable"/>.</summary>
    private bool _lastTypeTraceable;

    /// <summary>Global send counter, stamped on every envelope.</summary>
    private long _sequence;

    private long _step;
    private Ticks _now;

    /// <summary>Set once from Debug-level logging; checked per step without a call.</summary>
    private readonly bool _logDeliveries;

    public DeterministicScheduler(SchedulingStrategy strategy, RuntimeLimits limits, ILogger logger)
    {
        _strategy = strategy;
        _limits = limits;
        _logger = logger;
        _logDeliveries = logger.IsEnabled(LogLevel.Debug);
        _stepsMax = limits.StepsMax;
        _choicesMax = limits.ChoicesMax;
        _mailboxMessagesMax = limits.MailboxMessagesMax;
        _timers = new PriorityQueue<TimerEntry, (long Due, long Order)>();
        _strategy.OnAttached(new SchedulerProbe(this));
    }

    public SchedulingStrategy Strategy => _strategy;

    public override Ticks Now => _now;

    public override long Step => _step;

    public Violation? Violation => _violation;

    public ulong TraceHashValue => _trace.Value;

    public long ChoicesMade => _recorder.Count;

    public long DeadLetters { get; private set; }

    /// <summary>Messages posted so far: the next envelope's sequence number.</summary>
    internal long MessagesPosted => _sequence;

    /// <summary>Events that touch more than their receiver: system messages posted, actors created or stopped (<see cref="SchedulerProbe"/>).</summary>
    internal long GlobalEvents { get; private set; }

    /// <summary>Times the clock advanced and fired timers (<see cref="SchedulerProbe"/>).</summary>
    internal long ClockAdvances { get; private set; }

    public override void Attach(ActorCell cell)
    {
        GlobalEvents++;
        _strategy.OnActorCreated(cell.Id);
    }

    public override void Detach(ActorCell cell)
    {
        GlobalEvents++;
        foreach (Channel channel in cell.InboundChannels)
        {
            if (channel.ReadyIndex >= 0)
            {
                RemoveReady(channel);
            }

            DeadLetters += channel.Clear();
        }

        cell.QueuedCount = 0;
        cell.SystemQueuedCount = 0;
    }

    public override void Post(ActorCell? from, ActorCell to, object message, IActorRef? sender, ChannelKind kind)
        => PostFrom(from?.Id ?? Channel.ExternalSenderId, from, to, message, sender, kind);

    /// <summary>
    /// Adds the channels the new gate opens to the ready list and removes those it closes, in the
    /// cell's channel creation order. When the flags that flipped block only one channel kind (an async
    /// handler suspending or resuming, interrupts disabled or enabled: several times per simulated
    /// access), only that kind's channels are visited: the others' readiness cannot change, and they
    /// are already consistent then (only a system message's own post leaves one pending, and that
    /// flips <see cref="CellGate.SystemPending"/>, which blocks several kinds). The ready list sees
    /// the same additions and removals in the same order as with a scan of every channel, so every
    /// strategy's choices stay the same; the scan no longer grows with the cell's senders of other kinds.
    /// </summary>
    public override void GateChanged(ActorCell cell, CellGate changed)
    {
        List<Channel> channels = ChannelRules.OnlyKindBlockedBy(changed) is ChannelKind kind ? cell.InboundChannelsOf(kind) : cell.InboundChannels;
        foreach (Channel channel in channels)
        {
            bool ready = channel.Count > 0 && ChannelRules.IsOpen(cell.Gate, channel.Kind);
            if (ready && channel.ReadyIndex < 0)
            {
                AddReady(channel);
            }
            else if (!ready && channel.ReadyIndex >= 0)
            {
                RemoveReady(channel);
            }
        }
    }

    public override bool ChooseBoolean()
    {
        bool value = _strategy.NextBoolean(_step);
        Record(ChoiceKind.Boolean, value ? 1 : 0);
        return value;
    }

    public override int ChooseInteger(int maxExclusive)
    {
        int value = _strategy.NextInteger(maxExclusive, _step);
        if (value < 0 || value >= maxExclusive)
        {
            throw new InvalidOperationException($"strategy {_strategy.Name} chose {value} outside [0, {maxExclusive})");
        }

        Record(ChoiceKind.Integer, value);
        return value;
    }

    public override void ReportFailure(ActorCell cell, object message, Exception exception)
    {
        string what = message is AskReply reply ? $"the reply {reply.Message.GetType().Name}" : message.GetType().Name;
        Fail(exception is IViolationKind kind
            ? new Violation(kind.ViolationKind, $"{cell.Path} handling {what}: {exception.Message}", _step, _now) { Exception = exception }
            : new Violation(Violation.ActorException, $"{cell.Path} threw {exception.GetType().Name} handling {what}: {exception.Message}", _step, _now) { Exception = exception });
    }

    /// <summary>
    /// Runs until nothing is left to deliver, a violation, <paramref name="condition"/> holds, or
    /// <paramref name="stepsBudget"/> deliveries were made.
    /// </summary>
    public RunOutcome Run(Func<bool>? condition, long stepsBudget)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(stepsBudget);
        ObjectDisposedException.ThrowIf(_disposed, this);
        long stepsEnd = stepsBudget >= long.MaxValue - _step ? long.MaxValue : _step + stepsBudget;
        ActorCell? outer = ActorCell.Current;
        try
        {
            return RunLoop(condition, stepsEnd, outer);
        }
        finally
        {
            ActorCell.RestoreCurrent(outer);
        }
    }

    /// <summary>The loop of <see cref="Run"/>; deliveries leave their cell current, so the caller's is restored before <paramref name="condition"/> runs.</summary>
    private RunOutcome RunLoop(Func<bool>? condition, long stepsEnd, ActorCell? outer)
    {
        while (true)
        {
            if (_violation is not null)
            {
                return End(RunOutcome.Violation);
            }

            if (condition is not null)
            {
                ActorCell.RestoreCurrent(outer);
                if (condition())
                {
                    return RunOutcome.ConditionMet;
                }
            }

            int readyCount = _readyCount;
            if (readyCount == 0)
            {
                QuiescentObserver?.Invoke();
                if (_violation is not null)
                {
                    return End(RunOutcome.Violation);
                }

                if (!AdvanceClock())
                {
                    // Quiescence ends this call, not the run: a test may send more and run again. EndRun ends it.
                    return _violation is null ? RunOutcome.Quiescent : End(RunOutcome.Violation);
                }

                continue;
            }

            if (_step >= stepsEnd)
            {
                return RunOutcome.StepBudgetUsed;
            }

            if (_step >= _stepsMax)
            {
                Fail(new Violation(Violation.BoundExceeded, $"steps-max {_stepsMax} reached with {readyCount} deliveries still enabled", _step, _now));
                continue;
            }

            int index = _strategy.NextDelivery(new ReadySet(_ready.AsSpan(0, readyCount), _channels.AsSpan(0, _channelCount)), _step);
            if ((uint)index >= (uint)readyCount)
            {
                ThrowBadChoice(index, readyCount);
            }

            Deliver(_channels[_ready[index]]);
        }
    }

    /// <summary>Gives the recorder's chunks back to the pool; the run cannot go on and its schedule can no longer be captured.</summary>
    public void Dispose()
    {
        _disposed = true;
        _recorder.Release();
    }

    /// <summary>The choices so far as a schedule, with the channel table and what the run produced.</summary>
    public Schedule CaptureSchedule(string scenario, string? scenarioHash, ulong seed, string result) => new()
    {
        // The recorder throws ObjectDisposedException once the system is disposed.
        Scenario = scenario,
        ScenarioHash = scenarioHash,
        Strategy = _strategy.Description,
        Seed = seed,
        StepsMax = _limits.StepsMax,
        Steps = _step,
        Ticks = _now.Value,
        TraceHash = _trace.ToHex(),
        Result = result,
        Choices = _recorder.ToArray(),
        Channels = _channels.Take(_channelCount).Select(c => c.Describe()).ToArray(),
    };

    /// <summary>Folds a model event into the trace hash (kernel events, checker verdicts).</summary>
    public void AddToTrace(ulong word) => _trace.Add(word);

    private RunOutcome End(RunOutcome outcome)
    {
        _strategy.OnRunEnded(_recorder.Count);
        return outcome;
    }

    /// <summary>One step: takes the head of <paramref name="channel"/>, records the choice, folds it into the trace and runs the receiver.</summary>
    private void Deliver(Channel channel)
    {
        Debug.Assert(channel.ReadyIndex >= 0 && ChannelRules.IsOpen(channel.Receiver.Gate, channel.Kind), "only a ready channel whose gate is open is delivered");
        object message = channel.Dequeue(out IActorRef? sender);
        ActorCell cell = channel.Receiver;
        ChannelKind kind = channel.Kind;
        cell.QueuedCount--;
        if (channel.Count == 0)
        {
            RemoveReady(channel);
        }

        if (kind == ChannelKind.System && --cell.SystemQueuedCount == 0)
        {
            cell.SetGate(CellGate.SystemPending, false);
        }

        _step++;
        int channelId = channel.Id;
        if (_recorder.Count < _choicesMax)
        {
            _recorder.Add(ChoiceKind.Delivery, channelId);
        }
        else
        {
            FailChoicesMax();
        }

        // An ask reply (its PendingAsk or an AskReply) counts, shows and is fingerprinted as what it carries.
        object content = kind == ChannelKind.Reply ? PendingAsk.ReplyContent(message) : message;
        _trace.Add(((ulong)(uint)channelId << 32) ^ Fingerprint(content, out Type fingerprintedType));
        if (_logDeliveries)
        {
            LogDelivery(_step, _now.Value, channel.SenderPath, cell.Path, MessageName(message, content));
        }

        DeliveryObserver?.Invoke(new Delivery(_step, _now, channel.SenderPath, cell.Path, content));
        cell.Invoke(message, sender, kind, ReferenceEquals(content, message) ? fingerprintedType : null);
    }

    private void PostFrom(int senderId, ActorCell? from, ActorCell to, object message, IActorRef? sender, ChannelKind kind)
    {
        if (to.IsStopped)
        {
            DeadLetters++;
            return;
        }

        Channel? channel = from?.LastOutChannel;
        if (channel is null || !ReferenceEquals(channel.Receiver, to) || channel.Kind != kind || channel.SenderId != senderId)
        {
            channel = GetChannel(senderId, from, to, kind);
            if (from is not null)
            {
                from.LastOutChannel = channel;
            }
        }

        if (to.QueuedCount >= _mailboxMessagesMax)
        {
            Fail(new Violation(Violation.BoundExceeded, $"mailbox of {to.Path} exceeded {_mailboxMessagesMax} messages", _step, _now));
            return;
        }

        channel.Enqueue(message, sender, _sequence++);
        to.QueuedCount++;
        if (kind == ChannelKind.System)
        {
            GlobalEvents++;
            if (++to.SystemQueuedCount == 1)
            {
                to.SetGate(CellGate.SystemPending, true);
                return;
            }
        }

        if (channel.Count == 1 && channel.ReadyIndex < 0 && ChannelRules.IsOpen(to.Gate, kind))
        {
            AddReady(channel);
        }
    }

    private Channel GetChannel(int senderId, ActorCell? from, ActorCell to, ChannelKind kind)
    {
        long key = Key(senderId, to.Id, kind);
        int hash = (int)(((ulong)key * 0x9E3779B97F4A7C15UL) >> 54);
        Channel? cached = _channelCache[hash & (_channelCache.Length - 1)];
        if (cached is not null && ReferenceEquals(cached.Receiver, to) && cached.Kind == kind && cached.SenderId == senderId)
        {
            return cached;
        }

        if (!_channelsByKey.TryGetValue(key, out Channel? channel))
        {
            channel = NewChannel(key, senderId, from, to, kind);
        }

        // NewChannel may have replaced the cache by a larger one: index the current one.
        _channelCache[hash & (_channelCache.Length - 1)] = channel;
        return channel;
    }

    private Channel NewChannel(long key, int senderId, ActorCell? from, ActorCell to, ChannelKind kind)
    {
        string senderPath = senderId switch
        {
            Channel.ExternalSenderId => "(outside)",
            Channel.TimerSenderId => "(timer)",
            _ => from!.Path,
        };
        var channel = new Channel(_channelCount, senderId, senderPath, to, kind);
        if (_channelCount == _channels.Length)
        {
            Array.Resize(ref _channels, _channels.Length * 2);
        }

        _channels[_channelCount++] = channel;
        _channelsByKey.Add(key, channel);
        if (_channelCount * 2 > _channelCache.Length && _channelCache.Length < ChannelCacheLengthMax)
        {
            _channelCache = new Channel?[_channelCache.Length * 4];
        }

        to.AddInboundChannel(channel);
        return channel;
    }

    private static long Key(int senderId, int receiverId, ChannelKind kind)
        => ((long)(senderId + 2) << 33) | ((long)receiverId << 2) | (long)kind;

    private void AddReady(Channel channel)
    {
        if (_readyCount == _ready.Length)
        {
            Array.Resize(ref _ready, _ready.Length * 2);
        }

        Debug.Assert(channel.ReadyIndex < 0 && channel.Count > 0, "only a non-empty channel that is not ready yet becomes ready");
        channel.ReadyIndex = _readyCount;
        _ready[_readyCount++] = channel.Id;
    }

    private void RemoveReady(Channel channel)
    {
        int index = channel.ReadyIndex;
        Debug.Assert(index >= 0 && _ready[index] == channel.Id, "the channel is where its ready index says");
        int lastId = _ready[--_readyCount];
        _ready[index] = lastId;
        _channels[lastId].ReadyIndex = index;
        channel.ReadyIndex = -1;
    }

    /// <summary>Records a boolean or integer choice and folds it into the trace (deliveries are recorded in <see cref="Deliver"/>).</summary>
    private void Record(ChoiceKind kind, int value)
    {
        if (_recorder.Count >= _choicesMax)
        {
            FailChoicesMax();
            return;
        }

        _recorder.Add(kind, value);
        _trace.Add(((ulong)kind << 56) ^ (uint)value);
    }

    private void FailChoicesMax() => Fail(new Violation(Violation.BoundExceeded, $"choices-max {_choicesMax} reached", _step, _now));

    /// <summary>Records a violation found outside a delivery (a checker at a quiescent point); the first one wins.</summary>
    public void Fail(Violation violation) => _violation ??= violation;

    /// <summary>Called each time nothing is ready, before time advances: where checkers look at the model's state.</summary>
    public Action? QuiescentObserver { get; set; }

    /// <summary>Called at each delivery, after it is recorded and before the receiver runs (recorders; must not send).</summary>
    public Action<Delivery>? DeliveryObserver { get; set; }

    private void ThrowBadChoice(int index, int readyCount)
        => throw new InvalidOperationException($"strategy {_strategy.Name} chose delivery {index} of {readyCount}");

    /// <summary>The message's part of the trace (of what an ask reply carries): its type's stable hash, and its content when it is <see cref="ITraceable"/>.</summary>
    private ulong Fingerprint(object inner, out Type type)
    {
        type = inner.GetType();
        if (!ReferenceEquals(type, _lastType))
        {
            CacheTypeHash(type);
        }

        return _lastTypeTraceable
            ? _lastTypeHash ^ (((ITraceable)inner).TraceFingerprint * 0x9E3779B97F4A7C15UL)
            : _lastTypeHash;
    }

    private void CacheTypeHash(Type type)
    {
        MessageTypeInfo info = MessageTypeInfo.Of(type);
        _lastTypeHash = info.Hash;
        _lastTypeTraceable = info.Traceable;
        _lastType = type;
    }

    private static string MessageName(object message, object content) => message switch
    {
        _ when !ReferenceEquals(content, message) => "reply " + content.GetType().Name,
        Resume => "resume",
        TerminateMessage => "terminate",
        _ => message.GetType().Name,
    };

    [LoggerMessage(Level = LogLevel.Debug, Message = "[step {Step}] [tick {Tick}] deliver {Sender} -> {Receiver}: {Message}")]
    private partial void LogDelivery(long step, long tick, string sender, string receiver, string message);
}
