using System.Globalization;

namespace ShadowPt.Kernel;

/// <summary>A physical frame number: the index of a 4 KiB frame of simulated physical memory.</summary>
/// <remarks>Like the kernel's <c>unsigned long pfn</c>; physical address = pfn &lt;&lt; PAGE_SHIFT.</remarks>
public readonly record struct Pfn(ulong Value) : IComparable<Pfn>
{
    /// <summary>Widest pfn a PTE can hold: bits 12..51 of the entry (PTE_PFN_MASK with 52 physical bits).</summary>
    public const ulong MaxValue = (1UL << 40) - 1;

    /// <summary>The physical address of the frame's first byte.</summary>
    public ulong PhysAddr => Value << PageGeometry.PageShift;

    /// <summary>The pfn as an array index; throws when it does not fit.</summary>
    public int Index => checked((int)Value);

    public int CompareTo(Pfn other) => Value.CompareTo(other.Value);

    public static bool operator <(Pfn a, Pfn b) => a.Value < b.Value;

    public static bool operator >(Pfn a, Pfn b) => a.Value > b.Value;

    public static bool operator <=(Pfn a, Pfn b) => a.Value <= b.Value;

    public static bool operator >=(Pfn a, Pfn b) => a.Value >= b.Value;

    public override string ToString() => "0x" + Value.ToString("x", CultureInfo.InvariantCulture);
}
