using System.Runtime.CompilerServices;

namespace ShadowPt.Kernel;

/// <summary>
/// The 512 entries of one table, stored as a window: slots for the indexes [Base, Base + length) only, which
/// grows (8, 64, then all 512 slots) to take in an index written with a non-empty value; every index outside
/// reads as empty (0 or null). A process touches a few pages per table, and exploration builds every
/// process's tables again for each schedule: 512 slots per table were most of a schedule's page-table bytes.
/// Reads and writes behave exactly as on a full array.
/// </summary>
/// <typeparam name="T">ulong for a PTE page, the child table type for an upper table.</typeparam>
internal struct TableSlots<T>
{
    /// <summary>Slots of the first window; it grows by <see cref="GrowthFactor"/> up to the whole table.</summary>
    public const int FirstWindow = 8;

    private const int GrowthFactor = 8;

    /// <summary>Slots of indexes [<see cref="_base"/>, _base + length); empty until the first non-empty write.</summary>
    private T?[] _slots;

    private int _base;

    public TableSlots() => _slots = [];

    /// <summary>The lowest index with a slot.</summary>
    public readonly int First => _base;

    /// <summary>One past the highest index with a slot; entries at and above it are empty.</summary>
    public readonly int End => _base + _slots.Length;

    /// <summary>Slots held (for the simulator-bytes figure).</summary>
    public readonly int Capacity => _slots.Length;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly T? Get(int index)
    {
        T?[] slots = _slots;
        uint at = (uint)(index - _base);
        return at < (uint)slots.Length ? slots[at] : default;
    }

    public void Set(int index, T? value)
    {
        Bug.On((uint)index >= PageGeometry.PtrsPerTable, "table index out of range");
        uint at = (uint)(index - _base);
        if (at < (uint)_slots.Length)
        {
            _slots[at] = value;
            return;
        }

        if (EqualityComparer<T>.Default.Equals(value, default))
        {
            return; // already empty
        }

        Grow(index);
        _slots[index - _base] = value;
    }

    /// <summary>A bigger window that still holds the current slots and takes in <paramref name="index"/>.</summary>
    private void Grow(int index)
    {
        int lo = _slots.Length == 0 ? index : Math.Min(_base, index);
        int hi = _slots.Length == 0 ? index + 1 : Math.Max(End, index + 1);
        int length = Math.Max(FirstWindow, _slots.Length);
        while (length < hi - lo)
        {
            length = Math.Min(length * GrowthFactor, PageGeometry.PtrsPerTable);
        }

        // Align the window so that it covers [lo, hi) and stays inside the table.
        int start = Math.Min(lo - (lo % length), PageGeometry.PtrsPerTable - length);
        if (start + length < hi)
        {
            start = hi - length;
        }

        Bug.On(start < 0 || start > lo || start + length < hi, "table window does not cover its slots");

        var slots = new T?[length];
        if (_slots.Length > 0)
        {
            _slots.AsSpan().CopyTo(slots.AsSpan(_base - start));
        }

        _slots = slots;
        _base = start;
    }
}

/// <summary>A PTE page: 512 entries in one frame of simulated memory.</summary>
internal sealed class PtePage
{
    /// <summary>The raw entries.</summary>
    private TableSlots<ulong> _entries = new();

    public PtePage(Pfn pfn) => Pfn = pfn;

    /// <summary>The frame this table lives in; also the key of its split page-table lock.</summary>
    public Pfn Pfn { get; }

    /// <summary>Entries that are not pte_none.</summary>
    public int Used { get; set; }

    /// <summary>Entries at and above this index are 0.</summary>
    public int End => _entries.End;

    /// <summary>Entries below this index are 0.</summary>
    public int First => _entries.First;

    /// <summary>Slots held.</summary>
    public int Capacity => _entries.Capacity;

    /// <summary>The raw entry at <paramref name="index"/> (0 to 511).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong Get(int index) => _entries.Get(index);

    public void Set(int index, ulong value) => _entries.Set(index, value);
}

/// <summary>An upper-level table (PGD, PUD or PMD): 512 pointers to lower tables, one frame.</summary>
internal sealed class DirTable<TChild>
    where TChild : class
{
    /// <summary>The entries; null is an empty (pxd_none) entry.</summary>
    private TableSlots<TChild> _entries = new();

    public DirTable(Pfn pfn) => Pfn = pfn;

    /// <summary>The frame this table lives in.</summary>
    public Pfn Pfn { get; }

    /// <summary>Entries that point to a lower table.</summary>
    public int Used { get; set; }

    /// <summary>Entries at and above this index are null.</summary>
    public int End => _entries.End;

    /// <summary>Entries below this index are null.</summary>
    public int First => _entries.First;

    /// <summary>Slots held.</summary>
    public int Capacity => _entries.Capacity;

    /// <summary>The child at <paramref name="index"/> (0 to 511), or null.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TChild? Get(int index) => _entries.Get(index);

    public void Set(int index, TChild? child) => _entries.Set(index, child);
}

/// <summary>The key of a PTE page, for the split page-table lock (<c>pte_lockptr</c>): the table's pfn.</summary>
public readonly record struct PtePageId(Pfn Pfn)
{
    public override string ToString() => "ptepage@" + Pfn;
}

/// <summary>One entry cleared by <see cref="PageTable.ZapPteRange"/>: where, what it held, and in which PTE page.</summary>
public readonly record struct ZappedPte(VirtAddr Address, Pte OldPte, PtePageId Table);

/// <summary>One non-none entry seen by <see cref="PageTable.EnumeratePtes"/>.</summary>
public readonly record struct PteSlot(VirtAddr Address, Pte Pte, PtePageId Table);
