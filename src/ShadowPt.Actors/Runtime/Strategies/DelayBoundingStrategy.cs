using ShadowPt.Runtime.Scheduling;

namespace ShadowPt.Runtime.Strategies;

/// <summary>
/// Delay-bounded scheduling (Emmi, Qadeer, Rakamaric, POPL 2011), as Coyote's delay-bounding
/// strategy: a deterministic scheduler (the actor that ran last keeps running while it has an
/// enabled delivery, otherwise the next actor in round-robin order of actor ids, oldest message
/// first) that is made to skip over the actor it would pick at most <see cref="Delays"/> times, at
/// steps drawn from the seed over an estimate of the run's length. A bug that needs d deviations
/// from the round-robin order is found by some placement of d delays; random placements find it
/// with a probability that depends on the run length but not on the number of actors.
/// </summary>
public sealed class DelayBoundingStrategy : SchedulingStrategy
{
    /// <summary>Most delays accepted.</summary>
    public const int DelaysMax = 64;

    private readonly Prng _prng;
    private readonly ulong _seed;

    /// <summary>The steps at which a delay happens, ascending.</summary>
    private readonly long[] _delayPoints;

    private int _delaysUsed;

    /// <summary>The actor that received the last delivery; -1 before the first.</summary>
    private int _current = -1;

    public DelayBoundingStrategy(ulong seed, int delays, long stepsEstimate)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(delays);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(delays, DelaysMax);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stepsEstimate);
        _seed = seed;
        _prng = new Prng(seed);
        Delays = delays;
        StepsEstimate = stepsEstimate;
        _delayPoints = PickDelayPoints(delays, stepsEstimate);
    }

    /// <summary>The delay bound: how many times the round-robin choice is skipped.</summary>
    public int Delays { get; }

    /// <summary>The run length the delays are spread over.</summary>
    public long StepsEstimate { get; }

    public override string Name => "delay-bounding";

    public override string Description => $"delay-bounding(delays={Delays}, steps-estimate={StepsEstimate}, seed={_seed})";

    protected internal override int NextDelivery(ReadySet ready, long step)
    {
        int chosen = RoundRobin(ready, _current);
        while (_delaysUsed < _delayPoints.Length && step + 1 >= _delayPoints[_delaysUsed])
        {
            // A delay: the actor about to run is passed over, the next one in round-robin order runs.
            _delaysUsed++;
            if (ready.Count > 1)
            {
                chosen = RoundRobin(ready, ready.ReceiverId(chosen), skip: ready.ReceiverId(chosen));
            }
        }

        _current = ready.ReceiverId(chosen);
        return chosen;
    }

    protected internal override bool NextBoolean(long step) => _prng.NextBool();

    protected internal override int NextInteger(int maxExclusive, long step) => _prng.NextInt(maxExclusive);

    /// <summary>
    /// The oldest ready delivery of the first actor at or after <paramref name="from"/> in cyclic id
    /// order (strictly after it when <paramref name="skip"/> names it), among actors with a ready delivery.
    /// </summary>
    private static int RoundRobin(ReadySet ready, int from, int skip = -1)
    {
        int best = -1;
        long bestDistance = long.MaxValue;
        for (int i = 0; i < ready.Count; i++)
        {
            int receiver = ready.ReceiverId(i);
            if (receiver == skip)
            {
                continue;
            }

            // Distance forward from 'from' in cyclic id order; ids are non-negative and below int.MaxValue.
            long distance = receiver >= from ? receiver - (long)from : receiver - (long)from + int.MaxValue;
            if (distance < bestDistance || (distance == bestDistance && ready.HeadSequence(i) < ready.HeadSequence(best)))
            {
                best = i;
                bestDistance = distance;
            }
        }

        return best >= 0 ? best : 0;
    }

    private long[] PickDelayPoints(int count, long stepsEstimate)
    {
        var points = new SortedSet<long>();
        int attempts = 0;
        while (points.Count < Math.Min(count, stepsEstimate) && attempts++ < 64 * (count + 1))
        {
            points.Add(1 + _prng.NextLong(stepsEstimate));
        }

        return points.ToArray();
    }
}
