using System.Globalization;

namespace ShadowPt.Kernel;

/// <summary>
/// struct uffd_msg as the model carries it: the event, and for a page fault the flags and the
/// faulting address (page aligned: no UFFD_FEATURE_EXACT_ADDRESS); for FORK the child's new
/// descriptor; for REMOVE and UNMAP the range.
/// </summary>
public readonly record struct UffdMsg(UffdEvent Event, UffdPagefaultFlags Flags, VirtAddr Address, VirtAddr End, int Fd)
{
    /// <summary>Bit where the event sits in the encoded read() return value.</summary>
    private const int EventShift = 56;

    /// <summary>A UFFD_EVENT_PAGEFAULT message.</summary>
    public static UffdMsg Pagefault(VirtAddr address, UffdPagefaultFlags flags) => new(UffdEvent.Pagefault, flags, address.PageAlignDown(), default, 0);

    /// <summary>
    /// The message as read() returns it to the model's user side, in one non-negative value: the event
    /// in bits 56..63 and the address with the fault flags in its low bits (FORK: the descriptor).
    /// </summary>
    public long Encode()
    {
        ulong payload = Event == UffdEvent.Fork ? (ulong)Fd : Address.Value | (ulong)Flags;
        Bug.On(payload >> EventShift != 0, "uffd_msg payload too large");
        return (long)(((ulong)Event << EventShift) | payload);
    }

    /// <summary>The inverse of <see cref="Encode"/> (the range end of REMOVE and UNMAP is not carried).</summary>
    public static UffdMsg Decode(long value)
    {
        var ev = (UffdEvent)((ulong)value >> EventShift);
        ulong payload = (ulong)value & ((1UL << EventShift) - 1);
        return ev == UffdEvent.Fork
            ? new UffdMsg(ev, UffdPagefaultFlags.None, default, default, (int)payload)
            : new UffdMsg(ev, (UffdPagefaultFlags)(payload & 7), new VirtAddr(payload & ~7UL), default, 0);
    }

    public override string ToString() => Event switch
    {
        UffdEvent.Pagefault => string.Create(CultureInfo.InvariantCulture, $"PAGEFAULT {Address} flags {Flags}"),
        UffdEvent.Fork => string.Create(CultureInfo.InvariantCulture, $"FORK fd {Fd}"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{Event.ToString().ToUpperInvariant()} [{Address}, {End})"),
    };
}

/// <summary>A queued message and the task that waits for it to be handled (0 for none).</summary>
public sealed record UffdQueued(int Pid, UffdMsg Msg);
