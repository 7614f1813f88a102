namespace ShadowPt.Runtime;

/// <summary>
/// Every bound of a run. Hitting one ends the run with a <c>bound-exceeded</c> violation that names
/// the bound; nothing grows or waits without limit.
/// </summary>
public sealed record RuntimeLimits
{
    /// <summary>Deliveries per run.</summary>
    public long StepsMax { get; init; } = 1_000_000;

    /// <summary>Messages queued for one actor across all its channels.</summary>
    public int MailboxMessagesMax { get; init; } = 65_536;

    /// <summary>Actors created over a run, live or stopped.</summary>
    public int ActorsMax { get; init; } = 1 << 20;

    /// <summary>Timers pending at once.</summary>
    public int TimersMax { get; init; } = 1 << 20;

    /// <summary>Simulated time a run may reach.</summary>
    public long TicksMax { get; init; } = 1L << 40;

    /// <summary>Recorded choices (deliveries plus boolean and integer choices) per run.</summary>
    public long ChoicesMax { get; init; } = 16_000_000;

    /// <summary>Throws when a bound is not positive.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(StepsMax);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MailboxMessagesMax);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ActorsMax);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(TimersMax);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(TicksMax);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ChoicesMax);
    }
}
