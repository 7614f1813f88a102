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
    private readonly SchedulingStrategy _strategy;
    private readonly RuntimeLimits _limits;
    private readonly ILogger _logger;

    /// <summary>Every channel ever created, indexed by id.</summary>
    private readonly List<Channel> _channels = new();

    /// <summary>Channels by (sender id, receiver id, kind); see <see cref="Key"/>.</summary>
    private readonly Dictionary<long, Channel> _channelsByKey = new();

    /// <summary>The channels whose head may be delivered now; swap-remove keeps it dense.</summary>
    private Channel[] _ready = new Channel[64];

    private int _readyCount;

    private readonly ScheduleRecorder _recorder = new();

    /// <summary>Stable type hashes, with a one-entry cache in front.</summary>
    private readonly Dictionary<Type, ulong> _typeHashes = new();

    private Type? _lastType;
    private ulong _lastTypeHash;

    private TraceHash _trace;

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
        _timers = new PriorityQueue<TimerEntry, (long Due, long Order)>();
    }

    public SchedulingStrategy Strategy => _strategy;

    public override Ticks Now => _now;

    public override long Step => _step;

    public Violation? Violation { get; private set; }

    public ulong TraceHashValue => _trace.Value;

    public long ChoicesMade => _recorder.Count;

    public long DeadLetters { get; private set; }

    public override void Attach(ActorCell cell) => _strategy.OnActorCreated(cell.Id);

    public override void Detach(ActorCell cell)
    {
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

    public override void GateChanged(ActorCell cell)
    {
        foreach (Channel channel in cell.InboundChannels)
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
        Fail(new Violation(
            Violation.ActorException,
            $"{cell.Path} threw {exception.GetType().Name} handling {what}: {exception.Message}",
            _step,
            _now) { Exception = exception });
    }

    /// <summary>
    /// Runs until nothing is left to deliver, a violation, <paramref name="condition"/> holds, or
    /// <paramref name="stepsBudget"/> deliveries were made.
    /// </summary>
    public RunOutcome Run(Func<bool>? condition, long stepsBudget)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(stepsBudget);
        long stepsEnd = stepsBudget >= long.MaxValue - _step ? long.MaxValue : _step + stepsBudget;
        while (true)
        {
            if (Violation is not null)
            {
                return End(RunOutcome.Violation);
            }

            if (condition is not null && condition())
            {
                return RunOutcome.ConditionMet;
            }

            if (_readyCount == 0)
            {
                if (!AdvanceClock())
                {
                    return End(Violation is null ? RunOutcome.Quiescent : RunOutcome.Violation);
                }

                continue;
            }

            if (_step >= stepsEnd)
            {
                return RunOutcome.StepBudgetUsed;
            }

            if (_step >= _limits.StepsMax)
            {
                Fail(new Violation(Violation.BoundExceeded, $"steps-max {_limits.StepsMax} reached with {_readyCount} deliveries still enabled", _step, _now));
                continue;
            }

            int index = _strategy.NextDelivery(new ReadySet(_ready.AsSpan(0, _readyCount), _channels), _step);
            if ((uint)index >= (uint)_readyCount)
            {
                throw new InvalidOperationException($"strategy {_strategy.Name} chose delivery {index} of {_readyCount}");
            }

            Deliver(_ready[index]);
        }
    }

    /// <summary>The choices so far as a schedule, with the channel table and what the run produced.</summary>
    public Schedule CaptureSchedule(string scenario, string? scenarioHash, ulong seed, string result) => new()
    {
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
        Channels = _channels.Select(c => c.Describe()).ToArray(),
    };

    /// <summary>Folds a model event into the trace hash (kernel events, checker verdicts).</summary>
    public void AddToTrace(ulong word) => _trace.Add(word);

    private RunOutcome End(RunOutcome outcome)
    {
        _strategy.OnRunEnded(_recorder.Count);
        return outcome;
    }

    private void Deliver(Channel channel)
    {
        Envelope envelope = channel.Dequeue();
        ActorCell cell = channel.Receiver;
        cell.QueuedCount--;
        if (channel.Count == 0)
        {
            RemoveReady(channel);
        }

        if (channel.Kind == ChannelKind.System && --cell.SystemQueuedCount == 0)
        {
            cell.SetGate(CellGate.SystemPending, false);
        }

        _step++;
        Record(ChoiceKind.Delivery, channel.Id);
        object message = envelope.Message;
        _trace.Add(((ulong)(uint)channel.Id << 32) ^ Fingerprint(message));
        if (_logDeliveries)
        {
            LogDelivery(_step, _now.Value, channel.SenderPath, cell.Path, MessageName(message));
        }

        cell.Invoke(message, envelope.Sender);
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

        if (to.QueuedCount >= _limits.MailboxMessagesMax)
        {
            Fail(new Violation(Violation.BoundExceeded, $"mailbox of {to.Path} exceeded {_limits.MailboxMessagesMax} messages", _step, _now));
            return;
        }

        channel.Enqueue(new Envelope(message, sender, _sequence++));
        to.QueuedCount++;
        if (kind == ChannelKind.System && ++to.SystemQueuedCount == 1)
        {
            to.SetGate(CellGate.SystemPending, true);
        }
        else if (channel.Count == 1 && channel.ReadyIndex < 0 && ChannelRules.IsOpen(to.Gate, kind))
        {
            AddReady(channel);
        }
    }

    private Channel GetChannel(int senderId, ActorCell? from, ActorCell to, ChannelKind kind)
    {
        long key = Key(senderId, to.Id, kind);
        if (!_channelsByKey.TryGetValue(key, out Channel? channel))
        {
            string senderPath = senderId switch
            {
                Channel.ExternalSenderId => "(outside)",
                Channel.TimerSenderId => "(timer)",
                _ => from!.Path,
            };
            channel = new Channel(_channels.Count, senderId, senderPath, to, kind);
            _channels.Add(channel);
            _channelsByKey.Add(key, channel);
            to.InboundChannels.Add(channel);
        }

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

        channel.ReadyIndex = _readyCount;
        _ready[_readyCount++] = channel;
    }

    private void RemoveReady(Channel channel)
    {
        int index = channel.ReadyIndex;
        Channel last = _ready[--_readyCount];
        _ready[index] = last;
        last.ReadyIndex = index;
        _ready[_readyCount] = null!;
        channel.ReadyIndex = -1;
    }

    private void Record(ChoiceKind kind, int value)
    {
        if (_recorder.Count >= _limits.ChoicesMax)
        {
            Fail(new Violation(Violation.BoundExceeded, $"choices-max {_limits.ChoicesMax} reached", _step, _now));
            return;
        }

        _recorder.Add(kind, value);
        if (kind != ChoiceKind.Delivery)
        {
            _trace.Add(((ulong)kind << 56) ^ (uint)value);
        }
    }

    private void Fail(Violation violation) => Violation ??= violation;

    private ulong Fingerprint(object message)
    {
        object inner = message is AskReply reply ? reply.Message : message;
        Type type = inner.GetType();
        if (!ReferenceEquals(type, _lastType))
        {
            if (!_typeHashes.TryGetValue(type, out _lastTypeHash))
            {
                _lastTypeHash = TraceHash.OfString(type.FullName ?? type.Name);
                _typeHashes.Add(type, _lastTypeHash);
            }

            _lastType = type;
        }

        return inner is ITraceable traceable ? _lastTypeHash ^ (traceable.TraceFingerprint * 0x9E3779B97F4A7C15UL) : _lastTypeHash;
    }

    private static string MessageName(object message) => message switch
    {
        AskReply reply => "reply " + reply.Message.GetType().Name,
        Resume => "resume",
        TerminateMessage => "terminate",
        _ => message.GetType().Name,
    };

    [LoggerMessage(Level = LogLevel.Debug, Message = "[step {Step}] [tick {Tick}] deliver {Sender} -> {Receiver}: {Message}")]
    private partial void LogDelivery(long step, long tick, string sender, string receiver, string message);
}
