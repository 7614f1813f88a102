using Microsoft.Extensions.Logging;

namespace ShadowPt.Scenarios;

/// <summary>How to run a scenario once.</summary>
public sealed record RunOptions
{
    /// <summary>Strategy names accepted on the command line.</summary>
    public static readonly IReadOnlyList<string> StrategyNames = ["random", "pct"];

    /// <summary>The seed; null takes the scenario's default.</summary>
    public ulong? Seed { get; init; }

    /// <summary>random or pct; null takes the scenario's, else random.</summary>
    public string? Strategy { get; init; }

    /// <summary>PCT depth: the number of ordering constraints a bug needs, plus one change point less.</summary>
    public int PctDepth { get; init; } = 3;

    /// <summary>Run length PCT spreads its change points over; null measures it with a calibration run.</summary>
    public long? PctStepsEstimate { get; init; }

    /// <summary>The run's bound on deliveries; null takes the scenario's, else <see cref="StepsMaxDefault"/>.</summary>
    public long? StepsMax { get; init; }

    public const long StepsMaxDefault = 1_000_000;

    /// <summary>The checks to run; null keeps the scenario's own selection.</summary>
    public IReadOnlySet<string>? Checks { get; init; }

    public ILogger? Logger { get; init; }

    /// <summary>Called after the scenario's setup and before the first step (a recorder attaches here); it must not change the run.</summary>
    public Action<Runtime.ActorSystem, Scenario>? Attach { get; init; }
}
