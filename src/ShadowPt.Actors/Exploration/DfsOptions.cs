using ShadowPt.Scenarios;

namespace ShadowPt.Exploration;

/// <summary>What a systematic (DFS) exploration is asked to do.</summary>
public sealed record DfsOptions
{
    /// <summary>Most executions (complete or cut short by sleep sets) one exploration may run.</summary>
    public const long ExecutionsMaxLimit = 100_000_000;

    /// <summary>Default depth bound: race analysis keeps a happens-before bit set per step, quadratic in the depth.</summary>
    public const long StepsMaxDefault = 10_000;

    /// <summary>Largest depth accepted.</summary>
    public const long StepsMaxLimit = 50_000;

    /// <summary>Dynamic partial-order reduction (source sets and sleep sets); false is plain DFS over every interleaving.</summary>
    public bool Reduction { get; init; } = true;

    /// <summary>Most preemptions (switching away from an actor that could still receive) per execution; null for none.</summary>
    public int? PreemptionBound { get; init; }

    public long ExecutionsMax { get; init; } = 1_000_000;

    /// <summary>Depth bound: most deliveries per execution; reaching it is a bound-exceeded violation, as in any run.</summary>
    public long StepsMax { get; init; } = StepsMaxDefault;

    /// <summary>Wall-clock budget.</summary>
    public TimeSpan? TimeMax { get; init; }

    public IReadOnlySet<string>? Checks { get; init; }
}

/// <summary>
/// The outcome of a systematic exploration. <see cref="Exhaustive"/> means every execution of the
/// scenario is equivalent to one explored (with reduction) or was explored (without): for a
/// violation-free result that is a proof for this configuration.
/// </summary>
public sealed record DfsResult
{
    /// <summary>Complete executions (each ran to its end).</summary>
    public required long Executions { get; init; }

    /// <summary>Executions cut short because every enabled delivery slept: redundant by construction.</summary>
    public required long SleepBlocked { get; init; }

    public required bool Exhaustive { get; init; }

    /// <summary>Why the exploration stopped before exhausting the scenario, or null.</summary>
    public string? StoppedBy { get; init; }

    /// <summary>Choices the preemption bound kept out; an exploration that pruned any is not exhaustive.</summary>
    public required long Pruned { get; init; }

    /// <summary>The longest execution, in deliveries.</summary>
    public required long DepthMax { get; init; }

    public required TimeSpan Elapsed { get; init; }

    /// <summary>The first violating execution, with its schedule.</summary>
    public RunReport? FirstViolation { get; init; }

    /// <summary>Distinct trace hashes of complete executions.</summary>
    public required long DistinctTraces { get; init; }

    /// <summary>The exploration was cancelled (Ctrl-C) before it ended: the counts are those of the executions done.</summary>
    public bool Interrupted { get; init; }

    /// <summary>"exhaustive: yes, N executions", "exhaustive: no (interrupted) after N executions" or "exhaustive: no (stopped at ...)".</summary>
    public string Verdict => Exhaustive
        ? FormattableString.Invariant($"exhaustive: yes, {Executions} executions")
        : Interrupted
        ? FormattableString.Invariant($"exhaustive: no (interrupted) after {Executions} executions")
        : FormattableString.Invariant($"exhaustive: no (stopped at {StoppedBy ?? "?"}), {Executions} executions");
}
