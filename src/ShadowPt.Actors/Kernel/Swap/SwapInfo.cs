namespace ShadowPt.Kernel;

/// <summary>
/// The machine's one swap device (swap type 0): the swap_map of per-slot use counts and the page
/// contents written to each slot. Kept in <see cref="KernelState"/> (an extension), so only the
/// memory actor touches it. There is no swap cache: a slot holds its page until its count drops to 0.
/// </summary>
/// <remarks>
/// mm/swapfile.c: swap_info_struct, folio_alloc_swap / scan_swap_map_slots (here: the lowest free
/// offset, slot 0 being the header page as in mkswap's layout), swap_duplicate (fork), swap_free and
/// free_swap_and_cache (zap), swp_swapcount. The slot count comes from <see cref="MachineConfig.SwapSlots"/>;
/// 0 means no swap is configured, and MADV_PAGEOUT then leaves anonymous pages where they are.
/// </remarks>
public sealed class SwapInfo
{
    /// <summary>The swap type of the device (the only one).</summary>
    public const uint DeviceType = 0;

    /// <summary>Slot 0 is the swap header; pages go to offsets 1..slots.</summary>
    public const ulong FirstOffset = 1;

    /// <summary>Use count of each offset (index = offset); 0 free. Slot 0 never used.</summary>
    private int[] _swapMap = [];

    /// <summary>Page contents of each used offset.</summary>
    private byte[]?[] _contents = [];

    /// <summary>Whether <see cref="Configure"/> ran.</summary>
    private bool _configured;

    /// <summary>Slots of the device (0 when no swap is configured).</summary>
    public int Slots => Math.Max(0, _swapMap.Length - 1);

    /// <summary>Slots in use (si->inuse_pages).</summary>
    public int InusePages { get; private set; }

    /// <summary>Pages written out since boot (pswpout).</summary>
    public long PagesSwappedOut { get; private set; }

    /// <summary>Pages read back since boot (pswpin).</summary>
    public long PagesSwappedIn { get; private set; }

    /// <summary>The device of <paramref name="s"/>, sized from its machine config on first use.</summary>
    public static SwapInfo Of(KernelState s)
    {
        ArgumentNullException.ThrowIfNull(s);
        SwapInfo info = s.Extension<SwapInfo>();
        info.Configure(s.Config.SwapSlots);
        return info;
    }

    /// <summary>swapon: gives the device <paramref name="slots"/> slots; only once.</summary>
    internal void Configure(int slots)
    {
        if (_configured)
        {
            return;
        }

        ArgumentOutOfRangeException.ThrowIfNegative(slots);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(slots, MachineConfig.SwapSlotsMax);
        _configured = true;
        _swapMap = slots == 0 ? [] : new int[slots + 1];
        _contents = slots == 0 ? [] : new byte[]?[slots + 1];
    }

    /// <summary>folio_alloc_swap: the lowest free slot with count 1, or null when the device is full or absent.</summary>
    public SwpEntry? GetSwapPage()
    {
        for (ulong offset = FirstOffset; offset < (ulong)_swapMap.Length; offset++)
        {
            if (_swapMap[offset] == 0)
            {
                _swapMap[offset] = 1;
                InusePages++;
                return new SwpEntry(DeviceType, offset);
            }
        }

        return null;
    }

    /// <summary>swap_writepage: the page's contents reach the slot.</summary>
    public void SwapWritepage(SwpEntry entry, ReadOnlySpan<byte> page)
    {
        CheckUsed(entry, "swap_writepage");
        Bug.On(page.Length != (int)PageGeometry.PageSize, "swap_writepage: not a whole page");
        _contents[entry.Offset] = page.ToArray();
        PagesSwappedOut++;
    }

    /// <summary>swap_read_folio: the slot's contents into <paramref name="page"/>.</summary>
    public void SwapReadPage(SwpEntry entry, Span<byte> page)
    {
        CheckUsed(entry, "swap_read_folio");
        byte[] contents = _contents[entry.Offset] ?? throw Bug.Fail($"swap_read_folio: slot {entry.Offset} was never written");
        contents.CopyTo(page);
        PagesSwappedIn++;
    }

    /// <summary>The slot's contents without counting a swap-in (for checks and pagemap readers); false when free or unwritten.</summary>
    public bool TryPeek(SwpEntry entry, Span<byte> page)
    {
        if (SwapCount(entry) == 0 || _contents[entry.Offset] is not byte[] contents)
        {
            return false;
        }

        contents.CopyTo(page);
        return true;
    }

    /// <summary>swap_duplicate: one more PTE refers to the slot (fork).</summary>
    public void SwapDuplicate(SwpEntry entry)
    {
        CheckUsed(entry, "swap_duplicate");
        Bug.On(_swapMap[entry.Offset] >= MachineConfig.TasksMax, "swap_duplicate: count overflow");
        _swapMap[entry.Offset]++;
    }

    /// <summary>swap_free / free_swap_and_cache: one PTE fewer; the slot is freed at 0. Returns whether it was.</summary>
    public bool SwapFree(SwpEntry entry)
    {
        CheckUsed(entry, "swap_free");
        if (--_swapMap[entry.Offset] > 0)
        {
            return false;
        }

        _contents[entry.Offset] = null;
        InusePages--;
        return true;
    }

    /// <summary>swp_swapcount: PTEs referring to the slot (0: free or outside the device).</summary>
    public int SwapCount(SwpEntry entry) =>
        entry.Type == DeviceType && entry.Offset < (ulong)_swapMap.Length ? _swapMap[entry.Offset] : 0;

    /// <summary>The used slots and their counts, lowest offset first.</summary>
    public IEnumerable<(SwpEntry Entry, int Count)> UsedSlots()
    {
        for (ulong offset = FirstOffset; offset < (ulong)_swapMap.Length; offset++)
        {
            if (_swapMap[offset] > 0)
            {
                yield return (new SwpEntry(DeviceType, offset), _swapMap[offset]);
            }
        }
    }

    /// <summary>Counts are never negative, the in-use total matches, and every used slot was written or is being written.</summary>
    public void AssertInvariants()
    {
        int used = 0;
        for (int offset = 0; offset < _swapMap.Length; offset++)
        {
            Bug.On(_swapMap[offset] < 0, $"swap slot {offset}: negative count");
            Bug.On(_swapMap[offset] == 0 && _contents[offset] is not null, $"swap slot {offset}: free but holds a page");
            used += _swapMap[offset] > 0 ? 1 : 0;
        }

        Bug.On(_swapMap.Length > 0 && _swapMap[0] != 0, "swap slot 0 is the header");
        Bug.On(used != InusePages, "swap: in-use count drifted");
    }

    private void CheckUsed(SwpEntry entry, string what)
    {
        Bug.On(entry.Type != DeviceType || entry.Offset < FirstOffset || entry.Offset >= (ulong)_swapMap.Length, $"{what}: bad swap entry type {entry.Type} offset {entry.Offset}");
        Bug.On(_swapMap[entry.Offset] <= 0, $"{what}: swap slot {entry.Offset} is free");
    }
}
