namespace ShadowPt.Runtime.Scheduling;

/// <summary>
/// The class of a message on its way. Order is FIFO per (sender, receiver, kind); the kinds differ
/// in when the receiver may take them (see <see cref="CellGate"/>).
/// </summary>
internal enum ChannelKind : byte
{
    /// <summary>Stop and death-watch notices; taken before anything else.</summary>
    System = 0,

    /// <summary><see cref="IInterrupt"/> messages; taken even while an async handler waits, unless interrupts are disabled.</summary>
    Interrupt = 1,

    /// <summary>Replies to asks and resumptions of awaits.</summary>
    Reply = 2,

    /// <summary>Ordinary messages.</summary>
    User = 3,
}

/// <summary>Why a cell cannot take messages of some kinds right now.</summary>
[Flags]
internal enum CellGate : byte
{
    None = 0,

    /// <summary>A system message waits: it goes first.</summary>
    SystemPending = 1,

    /// <summary>An async handler is suspended: only replies, system messages and interrupts pass.</summary>
    Awaiting = 2,

    /// <summary>Interrupts are disabled on this actor.</summary>
    IrqsDisabled = 4,

    /// <summary>The actor stopped: nothing passes.</summary>
    Stopped = 8,

    /// <summary>The actor is stopping and waits for its children to stop: only system messages pass.</summary>
    Terminating = 16,
}

/// <summary>The gate rule: which flags block which channel kind.</summary>
internal static class ChannelRules
{
    /// <summary>Blocking flags indexed by <see cref="ChannelKind"/>.</summary>
    private static readonly CellGate[] BlockedBy =
    [
        CellGate.Stopped,
        CellGate.SystemPending | CellGate.IrqsDisabled | CellGate.Stopped | CellGate.Terminating,
        CellGate.SystemPending | CellGate.Stopped | CellGate.Terminating,
        CellGate.SystemPending | CellGate.Awaiting | CellGate.Stopped | CellGate.Terminating,
    ];

    public static bool IsOpen(CellGate gate, ChannelKind kind) => (gate & BlockedBy[(int)kind]) == 0;

    /// <summary>The one channel kind that <paramref name="flags"/> can block, or null when they block several kinds (or none).</summary>
    public static ChannelKind? OnlyKindBlockedBy(CellGate flags)
    {
        ChannelKind? only = null;
        for (int kind = 0; kind < BlockedBy.Length; kind++)
        {
            if ((BlockedBy[kind] & flags) != 0)
            {
                if (only is not null)
                {
                    return null;
                }

                only = (ChannelKind)kind;
            }
        }

        return only;
    }
}
