using ShadowPt.Runtime;
using ShadowPt.Runtime.Recording;

namespace ShadowPt.Scenarios;

/// <summary>What one run of a scenario did.</summary>
public sealed record RunReport
{
    public required string Scenario { get; init; }

    /// <summary>The strategy's full description, seed included.</summary>
    public required string Strategy { get; init; }

    public required ulong Seed { get; init; }

    public required RunOutcome Outcome { get; init; }

    public required long Steps { get; init; }

    public required Ticks Ticks { get; init; }

    public required int Actors { get; init; }

    public required long DeadLetters { get; init; }

    public required string TraceHash { get; init; }

    /// <summary>The first violation, or null for a clean run.</summary>
    public Violation? Violation { get; init; }

    /// <summary>The scenario's own description of its end state.</summary>
    public required IReadOnlyList<string> Description { get; init; }

    /// <summary>The run's choices, to save and replay.</summary>
    public required Schedule Schedule { get; init; }
}
