namespace ShadowPt.Runtime.Recording;

/// <summary>
/// A run's sequence of choices with what is needed to run it again: the scenario, the strategy that
/// made it, the seed and bounds, and what the run produced (trace hash, result) for checking.
/// </summary>
public sealed record Schedule
{
    /// <summary>Most channels a schedule may describe.</summary>
    public const int ChannelsMax = 1 << 20;

    public required string Scenario { get; init; }

    /// <summary>A hash of the scenario's content, so that replay notices an edited scenario file; null for built-ins.</summary>
    public string? ScenarioHash { get; init; }

    public required string Strategy { get; init; }

    public required ulong Seed { get; init; }

    public required long StepsMax { get; init; }

    public required long Steps { get; init; }

    public required long Ticks { get; init; }

    public required string TraceHash { get; init; }

    /// <summary><c>ok</c> or the violation kind.</summary>
    public required string Result { get; init; }

    /// <summary>The checks that ran (a violation ends the run, so a replay must run the same ones); null when the scenario has none.</summary>
    public IReadOnlyList<string>? Checks { get; init; }

    public required IReadOnlyList<ScheduleChoice> Choices { get; init; }

    /// <summary>"sender -> receiver (kind)" per channel id, so a replay can tell when it diverges.</summary>
    public required IReadOnlyList<string> Channels { get; init; }
}
