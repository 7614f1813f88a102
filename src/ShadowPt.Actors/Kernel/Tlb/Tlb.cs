namespace ShadowPt.Kernel;

/// <summary>
/// A CPU's TLB: a bounded set of translations tagged with the mm (like PCIDs), filled by page walks and
/// dropped only by explicit flushes or eviction. Eviction is round robin over slots, so which entry
/// goes is a function of the fill history alone. A stale entry keeps working until flushed: that is
/// exactly what TLB shootdown has to prevent.
/// </summary>
/// <remarks>
/// arch/x86/mm/tlb.c: flush_tlb_one_user (INVLPG), flush_tlb_func with tlb_single_page_flush_ceiling
/// (a range of more than 33 pages becomes a flush of the whole mm), flush_tlb_mm, flush_tlb_all.
/// Not modeled: global pages, huge-page entries, paging-structure caches. Owned by its CPU actor.
/// </remarks>
public sealed class Tlb
{
    /// <summary>tlb_single_page_flush_ceiling: pages above which a range flush flushes the whole mm.</summary>
    public const int SinglePageFlushCeiling = 33;

    /// <summary>Largest capacity a TLB may be given.</summary>
    public const int CapacityMax = 1 << 16;

    /// <summary>The slots; a null slot is free.</summary>
    private readonly TlbEntry?[] _slots;

    /// <summary>Slot index by (mm, vpn).</summary>
    private readonly Dictionary<(MmId Mm, ulong Vpn), int> _index;

    /// <summary>Free slot indexes, most recently freed last; used before evicting.</summary>
    private readonly Stack<int> _freeSlots;

    /// <summary>The slot the next eviction takes.</summary>
    private int _victim;

    public Tlb(CpuId cpu, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, CapacityMax);
        Cpu = cpu;
        _slots = new TlbEntry?[capacity];
        _index = new Dictionary<(MmId, ulong), int>(capacity);
        _freeSlots = new Stack<int>(capacity);
        for (int slot = capacity - 1; slot >= 0; slot--)
        {
            _freeSlots.Push(slot);
        }
    }

    /// <summary>The CPU this TLB belongs to.</summary>
    public CpuId Cpu { get; }

    public int Capacity => _slots.Length;

    /// <summary>Valid entries now.</summary>
    public int Count => _index.Count;

    /// <summary>Told of every fill and drop; null when nothing watches.</summary>
    internal ITlbWatcher? Watcher { get; set; }

    /// <summary>The entry for (<paramref name="mm"/>, page of <paramref name="address"/>), or null on a miss.</summary>
    public TlbEntry? Lookup(MmId mm, VirtAddr address) =>
        _index.TryGetValue((mm, address.Vpn), out int slot) ? _slots[slot] : null;

    /// <summary>Caches a translation after a page walk; replaces an entry for the same page; may evict another.</summary>
    public void Fill(MmId mm, VirtAddr address, Pfn pfn, bool writable, bool user)
    {
        var entry = new TlbEntry(mm, address.Vpn, pfn, writable, user);
        if (_index.TryGetValue((mm, address.Vpn), out int slot))
        {
            Watcher?.Dropped(_slots[slot]!.Value);
            _slots[slot] = entry;
            Watcher?.Filled(entry);
            return;
        }

        slot = _freeSlots.Count > 0 ? _freeSlots.Pop() : Evict();
        _slots[slot] = entry;
        _index.Add((mm, address.Vpn), slot);
        Watcher?.Filled(entry);
    }

    /// <summary>flush_tlb_one_user (INVLPG): drops the entry for one page. Returns true when one was cached.</summary>
    public bool FlushOne(MmId mm, VirtAddr address)
    {
        if (!_index.Remove((mm, address.Vpn), out int slot))
        {
            return false;
        }

        Watcher?.Dropped(_slots[slot]!.Value);
        Free(slot);
        return true;
    }

    /// <summary>
    /// flush_tlb_func for [start, end) of <paramref name="mm"/>: page by page up to the ceiling, the
    /// whole mm beyond it. Returns the number of entries dropped.
    /// </summary>
    public int FlushRange(MmId mm, AddrRange range)
    {
        if (range.Pages > SinglePageFlushCeiling)
        {
            return FlushMm(mm);
        }

        int dropped = 0;
        for (VirtAddr page = range.Start; page < range.End; page += PageGeometry.PageSize)
        {
            dropped += FlushOne(mm, page) ? 1 : 0;
        }

        return dropped;
    }

    /// <summary>flush_tlb_mm: drops every entry of <paramref name="mm"/>. Returns the number dropped.</summary>
    public int FlushMm(MmId mm) => FlushWhere(entry => entry.Mm == mm);

    /// <summary>flush_tlb_all: drops everything. Returns the number dropped.</summary>
    public int FlushAll() => FlushWhere(static _ => true);

    /// <summary>The entries in slot order, for checkers (for example: no entry may map a freed frame).</summary>
    public IEnumerable<TlbEntry> Entries()
    {
        for (int slot = 0; slot < _slots.Length; slot++)
        {
            if (_slots[slot] is TlbEntry entry)
            {
                yield return entry;
            }
        }
    }

    /// <summary>The index and the slots agree, and free slots are exactly the empty ones.</summary>
    public void AssertInvariants()
    {
        int valid = 0;
        for (int slot = 0; slot < _slots.Length; slot++)
        {
            if (_slots[slot] is TlbEntry entry)
            {
                valid++;
                Bug.On(!_index.TryGetValue((entry.Mm, entry.Vpn), out int indexed) || indexed != slot, "tlb: index does not point at the slot");
            }
        }

        Bug.On(valid != _index.Count, "tlb: index and slots disagree");
        Bug.On(valid + _freeSlots.Count != _slots.Length, "tlb: free slots do not match empty slots");
        Bug.On(_victim < 0 || _victim >= _slots.Length, "tlb: victim pointer out of range");
    }

    public override string ToString() => $"tlb {Cpu}: {Count}/{Capacity}";

    private int Evict()
    {
        int slot = _victim;
        _victim = (_victim + 1) % _slots.Length;
        TlbEntry old = _slots[slot] ?? throw Bug.Fail("tlb: evicting an empty slot while none is free");
        _index.Remove((old.Mm, old.Vpn));
        Watcher?.Dropped(old);
        return slot;
    }

    private int FlushWhere(Func<TlbEntry, bool> match)
    {
        int dropped = 0;
        for (int slot = 0; slot < _slots.Length; slot++)
        {
            if (_slots[slot] is TlbEntry entry && match(entry))
            {
                _index.Remove((entry.Mm, entry.Vpn));
                Watcher?.Dropped(entry);
                Free(slot);
                dropped++;
            }
        }

        return dropped;
    }

    private void Free(int slot)
    {
        _slots[slot] = null;
        _freeSlots.Push(slot);
    }
}
