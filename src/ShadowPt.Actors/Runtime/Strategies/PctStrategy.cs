using ShadowPt.Runtime.Scheduling;

namespace ShadowPt.Runtime.Strategies;

/// <summary>
/// Probabilistic Concurrency Testing (Burckhardt, Kothari, Musuvathi, Nagarakatte, ASPLOS 2010),
/// with actors as the threads: each actor gets a random priority, the highest-priority actor with
/// an enabled delivery runs (its oldest message first), and at <c>depth - 1</c> random change points
/// the running actor drops below all others. A bug of depth d is found with probability at least
/// 1/(n * k^(d-1)) per run.
/// </summary>
public sealed class PctStrategy : SchedulingStrategy
{
    /// <summary>Largest depth accepted; deeper bugs are not what PCT is for.</summary>
    public const int DepthMax = 64;

    private readonly Prng _prng;

    /// <summary>Priority per actor id; higher runs first. Initial ones are all at least <see cref="Depth"/>.</summary>
    private readonly List<long> _priorities = new();

    /// <summary>The steps at which the running actor's priority drops, ascending.</summary>
    private readonly long[] _changePoints;

    /// <summary>How many change points have been passed.</summary>
    private int _changePointsPassed;

    private readonly ulong _seed;

    public PctStrategy(ulong seed, int depth, long stepsEstimate)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(depth, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(depth, DepthMax);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stepsEstimate);
        _seed = seed;
        _prng = new Prng(seed);
        Depth = depth;
        StepsEstimate = stepsEstimate;
        _changePoints = PickChangePoints(depth - 1, stepsEstimate);
    }

    public int Depth { get; }

    /// <summary>The run length the change points are spread over.</summary>
    public long StepsEstimate { get; }

    public override string Name => "pct";

    public override string Description => $"pct(depth={Depth}, steps-estimate={StepsEstimate}, seed={_seed})";

    protected internal override void OnActorCreated(int actorId)
    {
        while (_priorities.Count <= actorId)
        {
            _priorities.Add(0);
        }

        _priorities[actorId] = Depth + _prng.NextLong(long.MaxValue - Depth);
    }

    protected internal override int NextDelivery(ReadySet ready, long step)
    {
        int chosen = Highest(ready);
        if (_changePointsPassed < _changePoints.Length && step + 1 >= _changePoints[_changePointsPassed])
        {
            // Change point: the actor about to run falls below every initial priority, then re-pick.
            _priorities[ready.ReceiverId(chosen)] = Depth - 1 - _changePointsPassed;
            _changePointsPassed++;
            chosen = Highest(ready);
        }

        return chosen;
    }

    protected internal override bool NextBoolean(long step) => _prng.NextBool();

    protected internal override int NextInteger(int maxExclusive, long step) => _prng.NextInt(maxExclusive);

    /// <summary>The ready delivery of the highest-priority actor, its oldest message first.</summary>
    private int Highest(ReadySet ready)
    {
        int best = 0;
        long bestPriority = PriorityOf(ready.ReceiverId(0));
        for (int i = 1; i < ready.Count; i++)
        {
            long priority = PriorityOf(ready.ReceiverId(i));
            if (priority > bestPriority || (priority == bestPriority && ready.HeadSequence(i) < ready.HeadSequence(best)))
            {
                best = i;
                bestPriority = priority;
            }
        }

        return best;
    }

    private long PriorityOf(int actorId) => actorId < _priorities.Count ? _priorities[actorId] : 0;

    private long[] PickChangePoints(int count, long stepsEstimate)
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
