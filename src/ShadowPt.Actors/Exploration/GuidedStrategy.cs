using ShadowPt.Runtime.Recording;
using ShadowPt.Runtime.Scheduling;
using ShadowPt.Runtime.Strategies;

namespace ShadowPt.Exploration;

/// <summary>
/// Follows a candidate plan of choices position by position and falls back deterministically where
/// the plan has a hole, ends, or does not fit the run (a planned channel not enabled, a choice of the
/// wrong kind): the fallback is non-preemptive — keep delivering to the actor that received the last
/// delivery while it has an enabled delivery (its oldest message first), else the oldest message of all.
/// It counts preemptions: a delivery to another actor while the previous receiver still had an enabled one.
/// </summary>
/// <remarks>
/// The plan is lenient on purpose: the minimizer edits schedules (holes where a preemption was, chunks
/// deleted) and the run that follows the edit is itself a valid schedule, recorded as any run is.
/// Preemption as in CHESS (Musuvathi and Qadeer, PLDI 2007), with actors as the threads.
/// </remarks>
public sealed class GuidedStrategy(IReadOnlyList<ScheduleChoice?> plan, string origin) : SchedulingStrategy
{
    /// <summary>Index of the next plan position (one per choice the run asks for).</summary>
    private int _next;

    /// <summary>The receiver of the previous delivery, or -1 before the first.</summary>
    private int _lastReceiver = -1;

    /// <summary>Positions (choice indices of the run) of the preempting deliveries.</summary>
    private readonly List<int> _preemptionPositions = new();

    public override string Name => "minimized";

    public override string Description => $"minimized({origin})";

    /// <summary>How many deliveries switched away from an actor that still had an enabled delivery.</summary>
    public int Preemptions => _preemptionPositions.Count;

    /// <summary>The choice index of every preemption, ascending.</summary>
    public IReadOnlyList<int> PreemptionPositions => _preemptionPositions;

    protected internal override int NextDelivery(ReadySet ready, long step)
    {
        int position = _next++;
        int chosen = -1;
        if (position < plan.Count && plan[position] is { Kind: ChoiceKind.Delivery } planned)
        {
            chosen = ready.IndexOfChannel(planned.Value);
        }

        if (chosen < 0)
        {
            chosen = Fallback(ready);
        }

        int receiver = ready.ReceiverId(chosen);
        if (_lastReceiver >= 0 && receiver != _lastReceiver && OldestOf(ready, _lastReceiver) >= 0)
        {
            _preemptionPositions.Add(position);
        }

        _lastReceiver = receiver;
        return chosen;
    }

    protected internal override bool NextBoolean(long step)
    {
        int position = _next++;
        return position < plan.Count && plan[position] is { Kind: ChoiceKind.Boolean, Value: 1 };
    }

    protected internal override int NextInteger(int maxExclusive, long step)
    {
        int position = _next++;
        return position < plan.Count && plan[position] is { Kind: ChoiceKind.Integer } planned && planned.Value < maxExclusive ? planned.Value : 0;
    }

    /// <summary>The non-preemptive choice: the last receiver's oldest message if it has one, else the oldest of all.</summary>
    private int Fallback(ReadySet ready)
    {
        int same = _lastReceiver >= 0 ? OldestOf(ready, _lastReceiver) : -1;
        return same >= 0 ? same : OldestOf(ready, -1);
    }

    /// <summary>The index of the oldest ready message to <paramref name="receiver"/> (any receiver when negative), or -1.</summary>
    private static int OldestOf(ReadySet ready, int receiver)
    {
        int best = -1;
        long bestSequence = long.MaxValue;
        for (int i = 0; i < ready.Count; i++)
        {
            if (receiver >= 0 && ready.ReceiverId(i) != receiver)
            {
                continue;
            }

            long sequence = ready.HeadSequence(i);
            if (sequence < bestSequence)
            {
                best = i;
                bestSequence = sequence;
            }
        }

        return best;
    }
}
