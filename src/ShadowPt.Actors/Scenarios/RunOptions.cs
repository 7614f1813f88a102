using Microsoft.Extensions.Logging;

namespace ShadowPt.Scenarios;

/// <summary>How to run a scenario once.</summary>
public sealed record RunOptions
{
    /// <summary>Strategy names accepted on the command line.</summary>
    public static readonly IReadOnlyList<string> StrategyNames = ["random", "pct", "delay-bounding"];

    /// <summary>The seed; null takes the scenario's default.</summary>
    public ulong? Seed { get; init; }

    /// <summary>random, pct or delay-bounding; null takes the scenario's, else random.</summary>
    public string? Strategy { get; init; }

    /// <summary>PCT depth: the number of ordering constraints a bug needs, plus one change point less.</summary>
    public int PctDepth { get; init; } = 3;

    /// <summary>Delay bound of the delay-bounding strategy: how many times its round-robin choice is skipped.</summary>
    public int Delays { get; init; } = 2;

    /// <summary>Run length PCT (and delay bounding) spreads its change points over; null measures it with a calibration run.</summary>
    public long? PctStepsEstimate { get; init; }

    /// <summary>The run's bound on deliveries; null takes the scenario's, else <see cref="StepsMaxDefault"/>.</summary>
    public long? StepsMax { get; init; }

    public const long StepsMaxDefault = 1_000_000;

    /// <summary>The checks to run; null keeps the scenario's own selection.</summary>
    public IReadOnlySet<string>? Checks { get; init; }

    public ILogger? Logger { get; init; }

    /// <summary>
    /// Called once the scenario's actors exist, before the first step: observers that only watch
    /// (coverage, recorders) attach here; it must not change the run.
    /// </summary>
    public Action<Scenario, Runtime.ActorSystem>? AfterSetup { get; init; }
}
