namespace ShadowPt.Kernel;

/// <summary>A half-open, page-aligned range of user addresses [Start, End).</summary>
public readonly record struct AddrRange
{
    public AddrRange(VirtAddr start, VirtAddr end)
    {
        Bug.On(!start.IsPageAligned || !end.IsPageAligned, "AddrRange: bounds must be page aligned");
        Bug.On(end < start, "AddrRange: end below start");
        Start = start;
        End = end;
    }

    /// <summary>First address in the range.</summary>
    public VirtAddr Start { get; }

    /// <summary>First address after the range.</summary>
    public VirtAddr End { get; }

    /// <summary>Length in bytes.</summary>
    public ulong LengthBytes => End - Start;

    /// <summary>Number of 4 KiB pages.</summary>
    public ulong Pages => LengthBytes >> PageGeometry.PageShift;

    public bool IsEmpty => End == Start;

    public bool Contains(VirtAddr address) => address >= Start && address < End;

    /// <summary>True when the two ranges share at least one byte.</summary>
    public bool Overlaps(AddrRange other) => Start < other.End && other.Start < End;

    public override string ToString() => $"[{Start}, {End})";
}
