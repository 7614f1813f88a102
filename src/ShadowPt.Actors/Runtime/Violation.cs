namespace ShadowPt.Runtime;

/// <summary>
/// What went wrong in a run: a kind that tests and tools match on (for example
/// <c>actor-exception</c>, <c>bound-exceeded</c>), a readable report, and where it happened.
/// </summary>
public sealed record Violation(string Kind, string Message, long Step, Ticks Tick)
{
    /// <summary>The exception behind an <c>actor-exception</c>, for tests; not part of the report.</summary>
    public Exception? Exception { get; init; }

    public const string ActorException = "actor-exception";

    public const string BoundExceeded = "bound-exceeded";
}
