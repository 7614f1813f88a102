namespace ShadowPt.Actors;

/// <summary>How an inspector ends.</summary>
public enum InspectorEnding
{
    /// <summary>shadowpt_stop, shadowpt_close, exit: the well-behaved inspector.</summary>
    Close,

    /// <summary>Exits after reading, without stop or close (ctrl-c without a handler).</summary>
    ExitWithoutClose,
}

/// <summary>What an inspector does: whom it watches, over which range, how often, and how it ends.</summary>
public sealed record InspectorSpec
{
    /// <summary>Most ticks an inspector may read for.</summary>
    public const int TicksMax = 100_000;

    /// <summary>The pid of the process to inspect.</summary>
    public required int TargetPid { get; init; }

    public required ulong StartVaddr { get; init; }

    public required ulong EndVaddr { get; init; }

    /// <summary>Ticks between two reads of the table.</summary>
    public long PeriodTicks { get; init; } = 1;

    /// <summary>How many times the table is read.</summary>
    public int Ticks { get; init; } = 8;

    public InspectorEnding Ending { get; init; } = InspectorEnding.Close;

    /// <summary>When set, the inspector exits right after this many of its operations (0: before opening), wherever it is.</summary>
    public int? ExitAfterOperations { get; init; }

    /// <summary>Whether the inspector runs as root (the syscalls need CAP_SYS_ADMIN).</summary>
    public bool Superuser { get; init; } = true;
}
