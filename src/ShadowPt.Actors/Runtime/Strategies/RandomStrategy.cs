using ShadowPt.Runtime.Scheduling;

namespace ShadowPt.Runtime.Strategies;

/// <summary>A seeded random walk: every enabled delivery is equally likely at every step.</summary>
public sealed class RandomStrategy(ulong seed) : SchedulingStrategy
{
    private readonly Prng _prng = new(seed);

    public override string Name => "random";

    public override string Description => $"random(seed={seed})";

    protected internal override int NextDelivery(ReadySet ready, long step) => ready.Count == 1 ? 0 : _prng.NextInt(ready.Count);

    protected internal override bool NextBoolean(long step) => _prng.NextBool();

    protected internal override int NextInteger(int maxExclusive, long step) => _prng.NextInt(maxExclusive);
}
