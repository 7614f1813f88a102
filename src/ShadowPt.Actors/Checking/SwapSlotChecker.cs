using System.Globalization;
using ShadowPt.Kernel;

namespace ShadowPt.Checking;

/// <summary>
/// The swap half of the resource check: every used swap slot is referred to by exactly as many swap
/// PTEs of live mms as its count says, and no swap PTE refers to a free slot. A slot whose PTEs are
/// all gone (munmap, exit, a lost swap_free) but whose count is not zero is a leak.
/// </summary>
/// <remarks>Reads the kernel state only; call it at the end of a run.</remarks>
public static class SwapSlotChecker
{
    /// <summary>Most slots one report lists.</summary>
    public const int SlotsListedMax = 16;

    /// <summary>Appends a finding for each slot whose count differs from the PTEs that refer to it.</summary>
    public static void AddFindings(KernelState state, List<string> findings)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(findings);
        if (state.FindExtension<SwapInfo>() is not SwapInfo swap)
        {
            return;
        }

        var referred = new SortedDictionary<ulong, int>();
        var user = new AddrRange(VirtAddr.Zero, new VirtAddr(PageGeometry.TaskSizeMax));
        foreach (MmStruct mm in state.Mms.Where(m => !m.IsDead))
        {
            foreach (PteSlot slot in mm.Pgd.EnumeratePtes(user))
            {
                if (slot.Pte.IsSwap)
                {
                    ulong offset = slot.Pte.PteToSwpEntry().Offset;
                    referred[offset] = (referred.TryGetValue(offset, out int n) ? n : 0) + 1;
                }
            }
        }

        var wrong = new List<string>();
        foreach ((SwpEntry entry, int count) in swap.UsedSlots())
        {
            int ptes = referred.Remove(entry.Offset, out int n) ? n : 0;
            if (ptes != count)
            {
                wrong.Add(string.Create(CultureInfo.InvariantCulture, $"slot {entry.Offset}: count {count}, swap PTEs {ptes}"));
            }
        }

        foreach ((ulong offset, int ptes) in referred)
        {
            wrong.Add(string.Create(CultureInfo.InvariantCulture, $"slot {offset}: free, but {ptes} swap PTEs refer to it"));
        }

        if (wrong.Count > 0)
        {
            findings.Add(string.Create(CultureInfo.InvariantCulture, $"swap slots whose counts differ from the swap PTEs of live mms (a leaked slot or a lost swap_duplicate): {wrong.Count}\n ")
                + string.Join("\n ", wrong.Take(SlotsListedMax)) + "\n");
        }
    }
}
