namespace ShadowPt.Benchmarking;

/// <summary>
/// How much work <see cref="RuntimeBenchmarks.Run"/> does. <see cref="Quick"/> takes a few seconds;
/// the defaults (<see cref="Full"/>) take about half a minute on 2 cores.
/// </summary>
public sealed record RuntimeBenchOptions
{
    /// <summary>Largest deliveries one measured run may make; bounds the schedule a run records (four bytes each).</summary>
    public const long DeliveriesMax = 16_000_000;

    /// <summary>Most repetitions accepted.</summary>
    public const int RepetitionsMax = 100;

    /// <summary>Deliveries timed in each deterministic repetition, after the warm-up.</summary>
    public long DeterministicDeliveries { get; init; } = 4_000_000;

    /// <summary>Deliveries made in the same system before the timed part, so channels, caches and the JIT are warm.</summary>
    public long WarmupDeliveries { get; init; } = 200_000;

    /// <summary>Timed repetitions of every workload. The best is reported.</summary>
    public int Repetitions { get; init; } = 5;

    /// <summary>
    /// Untimed repetitions of each workload run first for at least this long (and at least once), so that
    /// the JIT has moved the hot path to its optimised, profile-guided tier before anything is timed.
    /// </summary>
    public TimeSpan WarmupTime { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Pairs ping-ponging in the threaded workload.</summary>
    public int ThreadedPairs { get; init; } = 64;

    /// <summary>Messages bouncing inside each threaded pair at once.</summary>
    public int ThreadedMessagesInFlightPerPair { get; init; } = 16;

    /// <summary>Deliveries in each threaded repetition (rounded down to a whole number of hops per message).</summary>
    public long ThreadedDeliveries { get; init; } = 20_000_000;

    /// <summary>Seed of the deterministic runs' random strategy.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>The defaults: about half a minute.</summary>
    public static RuntimeBenchOptions Full { get; } = new();

    /// <summary>A few seconds: fewer deliveries and repetitions, so noisier figures.</summary>
    public static RuntimeBenchOptions Quick { get; } = new()
    {
        DeterministicDeliveries = 1_000_000,
        WarmupDeliveries = 100_000,
        Repetitions = 3,
        WarmupTime = TimeSpan.FromMilliseconds(400),
        ThreadedDeliveries = 4_000_000,
    };

    /// <summary>Throws when a count is out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(DeterministicDeliveries);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(DeterministicDeliveries, DeliveriesMax);
        ArgumentOutOfRangeException.ThrowIfNegative(WarmupDeliveries);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(WarmupDeliveries, DeliveriesMax);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Repetitions);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Repetitions, RepetitionsMax);
        ArgumentOutOfRangeException.ThrowIfLessThan(WarmupTime, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(WarmupTime, TimeSpan.FromMinutes(1));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ThreadedPairs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ThreadedMessagesInFlightPerPair);
        ArgumentOutOfRangeException.ThrowIfLessThan(ThreadedDeliveries, (long)ThreadedPairs * ThreadedMessagesInFlightPerPair);
    }
}
