namespace ShadowPt.Benchmarking;

/// <summary>
/// How much work <see cref="ModelBenchmarks.Run"/> does. <see cref="Quick"/> takes a few seconds;
/// <see cref="Full"/> about a minute on 2 cores.
/// </summary>
public sealed record ModelBenchOptions
{
    /// <summary>Most accesses one measured phase may make (bounds the schedule a run records).</summary>
    public const int AccessesMax = 4_000_000;

    /// <summary>Most repetitions accepted.</summary>
    public const int RepetitionsMax = 100;

    /// <summary>Pages the single-process workload maps and faults in, one store each.</summary>
    public int FaultPages { get; init; } = 16_384;

    /// <summary>Pages looped over for TLB hits: they fit the TLB.</summary>
    public int HitPages { get; init; } = 32;

    /// <summary>Loads timed in the TLB-hit loop.</summary>
    public int HitAccesses { get; init; } = 1_000_000;

    /// <summary>Pages looped over for page walks: far more than the TLB holds, so every load misses.</summary>
    public int WalkPages { get; init; } = 4_096;

    /// <summary>Loads timed in the page-walk loop.</summary>
    public int WalkAccesses { get; init; } = 262_144;

    /// <summary>Entries per TLB in the single-process workload (the machine's default).</summary>
    public int TlbEntries { get; init; } = 64;

    /// <summary>Pages mapped and touched for the memory figure.</summary>
    public int FootprintPages { get; init; } = 16_384;

    /// <summary>CPU counts of the CPU scaling figures, one process per CPU.</summary>
    public IReadOnlyList<int> ScalingCpus { get; init; } = [1, 2, 4, 8, 16, 32, 64];

    /// <summary>Process counts of the process scaling figures, on <see cref="ProcessScalingCpus"/> CPUs.</summary>
    public IReadOnlyList<int> ScalingProcesses { get; init; } = [1, 10, 100, 1_000];

    /// <summary>CPUs the process scaling figures run on.</summary>
    public int ProcessScalingCpus { get; init; } = 4;

    /// <summary>Faults timed in each scaling workload, over all its processes.</summary>
    public int ScalingFaults { get; init; } = 16_000;

    /// <summary>TLB hits timed in each scaling workload, over all its processes.</summary>
    public int ScalingHits { get; init; } = 256_000;

    /// <summary>Pages each process of a scaling workload loops over for hits (with 1,000 processes on 4 CPUs, 1,000 entries per TLB).</summary>
    public int ScalingHitPages { get; init; } = 4;

    /// <summary>Entries per TLB in the scaling workloads: room for every process's loop pages.</summary>
    public int ScalingTlbEntries { get; init; } = 4_096;

    /// <summary>CPUs (one process each) of the threaded figures.</summary>
    public int ThreadedCpus { get; init; } = 2;

    /// <summary>Faults timed on the threaded scheduler, over all processes.</summary>
    public int ThreadedFaults { get; init; } = 16_384;

    /// <summary>TLB hits timed on the threaded scheduler, over all processes.</summary>
    public int ThreadedHits { get; init; } = 1_000_000;

    /// <summary>Timed repetitions of every workload; the best is reported.</summary>
    public int Repetitions { get; init; } = 3;

    /// <summary>Untimed repetitions of the single-process workload run first for at least this long, so the JIT reaches its final tier.</summary>
    public TimeSpan WarmupTime { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Seed of the deterministic runs' random strategy.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>The defaults.</summary>
    /// <summary>Runs of the default scenario per configuration of checkers.</summary>
    public int CheckerRuns { get; init; } = 400;

    public static ModelBenchOptions Full { get; } = new();

    /// <summary>A few seconds: smaller counts, fewer repetitions, noisier figures.</summary>
    public static ModelBenchOptions Quick { get; } = new()
    {
        FaultPages = 4_096,
        HitAccesses = 200_000,
        WalkAccesses = 65_536,
        ScalingFaults = 4_000,
        ScalingHits = 64_000,
        ThreadedFaults = 4_096,
        ThreadedHits = 200_000,
        Repetitions = 2,
        CheckerRuns = 100,
        WarmupTime = TimeSpan.FromMilliseconds(400),
    };

    /// <summary>Throws when a count is out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(FaultPages);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(FaultPages, ModelShape.PagesPerProcessMax);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(HitPages);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(HitPages, Math.Min(FaultPages, TlbEntries));
        ArgumentOutOfRangeException.ThrowIfLessThan(WalkPages, TlbEntries + 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(WalkPages, FaultPages);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(FootprintPages);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(FootprintPages, ModelShape.PagesPerProcessMax);
        foreach (int count in (int[])[HitAccesses, WalkAccesses, ScalingFaults, ScalingHits, ThreadedFaults, ThreadedHits])
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(count, AccessesMax);
        }

        ArgumentNullException.ThrowIfNull(ScalingCpus);
        ArgumentNullException.ThrowIfNull(ScalingProcesses);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ScalingHitPages);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ProcessScalingCpus);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ThreadedCpus);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(CheckerRuns);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(CheckerRuns, AccessesMax);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Repetitions);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Repetitions, RepetitionsMax);
        ArgumentOutOfRangeException.ThrowIfLessThan(WarmupTime, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(WarmupTime, TimeSpan.FromMinutes(1));
    }
}
