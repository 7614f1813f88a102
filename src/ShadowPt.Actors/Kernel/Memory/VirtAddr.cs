using System.Globalization;

namespace ShadowPt.Kernel;

/// <summary>A user virtual address, with the page helpers of include/linux/mm.h.</summary>
public readonly record struct VirtAddr(ulong Value) : IComparable<VirtAddr>
{
    /// <summary>Address zero (NULL; also FIRST_USER_ADDRESS on x86).</summary>
    public static VirtAddr Zero => default;

    /// <summary>True when the address is on a page boundary (<c>PAGE_ALIGNED</c>).</summary>
    public bool IsPageAligned => (Value & ~PageGeometry.PageMask) == 0;

    /// <summary>The byte offset inside the page (<c>offset_in_page</c>).</summary>
    public int OffsetInPage => (int)(Value & ~PageGeometry.PageMask);

    /// <summary>The virtual page number (<c>addr &gt;&gt; PAGE_SHIFT</c>).</summary>
    public ulong Vpn => Value >> PageGeometry.PageShift;

    /// <summary>The start of the page that contains the address (<c>addr &amp; PAGE_MASK</c>).</summary>
    public VirtAddr PageAlignDown() => new(Value & PageGeometry.PageMask);

    /// <summary>The next page boundary at or above the address (<c>PAGE_ALIGN</c>); throws on overflow.</summary>
    public VirtAddr PageAlignUp() => new(checked(Value + PageGeometry.PageSize - 1) & PageGeometry.PageMask);

    /// <summary>The first address of virtual page <paramref name="vpn"/>.</summary>
    public static VirtAddr FromVpn(ulong vpn) => new(checked(vpn << PageGeometry.PageShift));

    /// <summary>PAGE_ALIGN of a length in bytes; zero when it overflows, as the kernel's callers test.</summary>
    public static ulong PageAlignLength(ulong length) =>
        length > ulong.MaxValue - (PageGeometry.PageSize - 1) ? 0 : (length + PageGeometry.PageSize - 1) & PageGeometry.PageMask;

    public int CompareTo(VirtAddr other) => Value.CompareTo(other.Value);

    public static VirtAddr operator +(VirtAddr a, ulong bytes) => new(checked(a.Value + bytes));

    public static VirtAddr operator -(VirtAddr a, ulong bytes) => new(checked(a.Value - bytes));

    /// <summary>The distance in bytes from <paramref name="b"/> up to <paramref name="a"/>.</summary>
    public static ulong operator -(VirtAddr a, VirtAddr b) => checked(a.Value - b.Value);

    public static bool operator <(VirtAddr a, VirtAddr b) => a.Value < b.Value;

    public static bool operator >(VirtAddr a, VirtAddr b) => a.Value > b.Value;

    public static bool operator <=(VirtAddr a, VirtAddr b) => a.Value <= b.Value;

    public static bool operator >=(VirtAddr a, VirtAddr b) => a.Value >= b.Value;

    public static VirtAddr Min(VirtAddr a, VirtAddr b) => a.Value <= b.Value ? a : b;

    public static VirtAddr Max(VirtAddr a, VirtAddr b) => a.Value >= b.Value ? a : b;

    /// <summary>Lower-case hex without prefix, at least 8 digits, as /proc/PID/maps prints addresses.</summary>
    public string ToMapsHex() => Value.ToString("x8", CultureInfo.InvariantCulture);

    public override string ToString() => "0x" + Value.ToString("x", CultureInfo.InvariantCulture);
}
