using ShadowPt.Runtime.Scheduling;
using ShadowPt.Runtime.Strategies;

namespace ShadowPt.Exploration;

/// <summary>
/// The strategy of one execution of <see cref="DfsExplorer"/>: it replays the choices on the
/// explorer's stack (deliveries by their identity, which does not depend on channel ids, data
/// choices by value), then extends the execution with new nodes, taking the first enabled delivery
/// not in the sleep set (the running actor's first, so that the first execution makes no
/// preemption). It records what the race analysis needs of each step: identity, dependency group,
/// whether it touched other actors, which step posted its message, and its time phase.
/// </summary>
internal sealed class DporStrategy : SchedulingStrategy
{
    private readonly DfsExplorer.Session _session;
    private readonly List<ChoiceNode> _stack;
    private readonly List<StepRecord> _steps = new();

    /// <summary>Per channel id of this execution: interned channel key, group and receiver (-1: not seen yet).</summary>
    private int[] _channelKey = [];
    private int[] _channelGroup = [];
    private int[] _channelReceiver = [];

    /// <summary>Deliveries made so far per interned channel key: the index part of an identity.</summary>
    private int[] _delivered = [];

    /// <summary>Index of the next stack node to replay or create.</summary>
    private int _cursor;

    private SchedulerProbe? _probe;
    private long _globalAtChoice;
    private int _lastReceiver = -1;
    private int _preemptions;

    public DporStrategy(DfsExplorer.Session session, List<ChoiceNode> stack)
    {
        _session = session;
        _stack = stack;
    }

    public override string Name => "dfs";

    public override string Description => _session.Options.Reduction
        ? $"dfs(dpor, preemption-bound={_session.Options.PreemptionBound?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"})"
        : $"dfs(no reduction, preemption-bound={_session.Options.PreemptionBound?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"})";

    /// <summary>The steps of the execution, in order.</summary>
    public List<StepRecord> Steps => _steps;

    /// <summary>Set when a replayed data choice did not fit: the model is not deterministic (reported by the explorer).</summary>
    public string? Divergence { get; private set; }

    /// <summary>Choices the preemption bound kept out at the node where the execution was blocked.</summary>
    public int PrunedAtBlock { get; private set; }

    /// <summary>The identity of the <paramref name="index"/>-th delivery on channel key <paramref name="key"/>.</summary>
    public static long EventId(int key, int index) => ((long)key << 32) | (uint)index;

    protected internal override void OnAttached(SchedulerProbe probe) => _probe = probe;

    protected internal override void OnRunEnded(long choicesMade) => FinishLastStep();

    protected internal override int NextDelivery(ReadySet ready, long step)
    {
        SchedulerProbe probe = _probe ?? throw new InvalidOperationException("the DPOR strategy runs only on the deterministic scheduler");
        FinishLastStep();
        int count = ready.Count;
        var ids = new long[count];
        var groups = new int[count];
        var receivers = new int[count];
        for (int i = 0; i < count; i++)
        {
            int channel = ready.ChannelId(i);
            if (channel >= _channelKey.Length || _channelKey[channel] < 0)
            {
                Learn(ready, i, channel);
            }

            int key = _channelKey[channel];
            ids[i] = EventId(key, key < _delivered.Length ? _delivered[key] : 0);
            groups[i] = _channelGroup[channel];
            receivers[i] = _channelReceiver[channel];
        }

        int index;
        ChoiceNode node;
        if (_cursor < _stack.Count)
        {
            node = _stack[_cursor];
            index = node.IsData ? -1 : Array.IndexOf(ids, node.Chosen);
            if (index < 0)
            {
                throw new InvalidOperationException($"dfs: step {step + 1} of a replayed prefix does not fit (the scenario is not deterministic, or its identities collide)");
            }
        }
        else
        {
            node = NewNode(ids, groups, receivers);
            index = node.IndexOf(node.Chosen);
        }

        _cursor++;
        if (node.IsPreemption(index))
        {
            _preemptions++;
        }

        _lastReceiver = receivers[index];
        int chosenKey = (int)(ids[index] >> 32);
        if (chosenKey >= _delivered.Length)
        {
            Array.Resize(ref _delivered, Math.Max(chosenKey + 1, _delivered.Length * 2));
        }

        _delivered[chosenKey]++;
        _globalAtChoice = probe.GlobalEvents;
        long sequence = ready.HeadSequence(index);
        _steps.Add(new StepRecord
        {
            Id = ids[index],
            Node = _cursor - 1,
            Group = groups[index],
            Poster = PosterOf(sequence),
            Phase = probe.ClockAdvances,
            Sequence = sequence,
            PostedBefore = probe.MessagesPosted,
        });
        return index;
    }

    protected internal override bool NextBoolean(long step) => NextData(2) != 0;

    protected internal override int NextInteger(int maxExclusive, long step) => NextData(maxExclusive);

    /// <summary>Marks the last step global when it posted a system message or created or stopped an actor.</summary>
    private void FinishLastStep()
    {
        if (_steps.Count > 0 && _probe is not null && _probe.GlobalEvents != _globalAtChoice)
        {
            StepRecord last = _steps[^1];
            last.Global = true;
            _steps[^1] = last;
            _globalAtChoice = _probe.GlobalEvents;
        }
    }

    private ChoiceNode NewNode(long[] ids, int[] groups, int[] receivers)
    {
        var node = new ChoiceNode(ids, groups, receivers, _steps.Count)
        {
            PreemptionsBefore = _preemptions,
            PreviousReceiver = _lastReceiver >= 0 && Array.IndexOf(receivers, _lastReceiver) >= 0 ? _lastReceiver : -1,
        };
        DfsOptions options = _session.Options;
        if (options.Reduction && _steps.Count > 0)
        {
            // Sleep sets: what slept before the last step still sleeps if the last step is independent of it.
            StepRecord last = _steps[^1];
            foreach ((long id, (int group, bool global)) in _stack[last.Node].Sleep)
            {
                if (!last.Global && !global && last.Group != group)
                {
                    node.Sleep[id] = (group, global);
                }
            }
        }

        int chosen = -1;
        int pruned = 0;
        for (int pass = 0; pass < 2 && chosen < 0; pass++)
        {
            for (int i = 0; i < ids.Length; i++)
            {
                // First pass: the running actor's deliveries (no preemption); second: the rest in ready order.
                bool running = node.PreviousReceiver >= 0 && receivers[i] == node.PreviousReceiver;
                if ((pass == 0) != running)
                {
                    continue;
                }

                if (node.Sleep.ContainsKey(ids[i]))
                {
                    continue;
                }

                if (options.PreemptionBound is int bound && node.PreemptionsBefore + (node.IsPreemption(i) ? 1 : 0) > bound)
                {
                    pruned++;
                    continue;
                }

                chosen = i;
                break;
            }
        }

        if (chosen < 0)
        {
            PrunedAtBlock = pruned;
            throw new DporBlockedException();
        }

        node.Chosen = ids[chosen];
        node.Backtrack.Add(ids[chosen]);
        _stack.Add(node);
        return node;
    }

    private int NextData(int range)
    {
        if (_cursor < _stack.Count)
        {
            ChoiceNode node = _stack[_cursor++];
            if (!node.IsData || node.Range != range)
            {
                Divergence ??= $"a replayed data choice does not fit (expected {(node.IsData ? $"a choice among {node.Range}" : "a delivery")}, the model asked for a choice among {range})";
                return 0;
            }

            return node.Value;
        }

        _stack.Add(new ChoiceNode(range, _steps.Count - 1));
        _cursor++;
        return 0;
    }

    /// <summary>The step whose handler (or the clock advance after it) posted the message with <paramref name="sequence"/>; -1 for messages posted before the first step.</summary>
    private int PosterOf(long sequence)
    {
        int lo = 0, hi = _steps.Count - 1, found = -1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_steps[mid].PostedBefore <= sequence)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return found;
    }

    private void Learn(ReadySet ready, int index, int channel)
    {
        if (channel >= _channelKey.Length)
        {
            int length = Math.Max(channel + 1, _channelKey.Length * 2);
            int old = _channelKey.Length;
            Array.Resize(ref _channelKey, length);
            Array.Resize(ref _channelGroup, length);
            Array.Resize(ref _channelReceiver, length);
            Array.Fill(_channelKey, -1, old, length - old);
        }

        string receiver = ready.ReceiverPath(index);
        _channelKey[channel] = _session.Intern(ready.Describe(index));
        _channelReceiver[channel] = _session.Intern("receiver " + receiver);
        _channelGroup[channel] = _session.GroupOf(receiver);
    }
}

/// <summary>Thrown by <see cref="DporStrategy"/> when every enabled delivery sleeps (or is beyond the preemption bound): the execution is redundant and ends.</summary>
#pragma warning disable CA1064 // internal control flow of the explorer, never seen outside it
internal sealed class DporBlockedException : Exception
#pragma warning restore CA1064
{
    public DporBlockedException()
        : base("every enabled delivery sleeps")
    {
    }
}
