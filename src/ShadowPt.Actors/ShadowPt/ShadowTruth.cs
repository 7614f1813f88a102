using ShadowPt.Kernel;

namespace ShadowPt.Spt;

/// <summary>
/// What a shadow entry must say, computed from the target's VMAs and page table: the definition the
/// table is checked against at quiescent points, and what every update writes.
/// </summary>
public static class ShadowTruth
{
    /// <summary>The entry for <paramref name="page"/> of <paramref name="mm"/> (null or dead: nothing allocated).</summary>
    public static ShadowPte Of(MmStruct? mm, VirtAddr page)
    {
        ulong flags = 0;
        ulong pfn = 0;
        if (mm is not null && !mm.IsDead)
        {
            if (mm.Vmas.VmaLookup(page) is VmArea vma)
            {
                flags |= Spt.SpteVaddrAllocated;
                if (vma.IsAnonymous)
                {
                    flags |= Spt.SpteVaddrAnonymous;
                }
            }

            Pte pte = mm.Pgd.GetPte(page);
            if (pte.IsPresent)
            {
                flags |= Spt.SptePteMapped;
                pfn = pte.Pfn.Value;
            }
        }

        return new ShadowPte(page.Value, pfn, flags);
    }

    /// <summary>update_shadow_vaddr + update_shadow_pte over <paramref name="range"/>: rewrite every covered entry from the truth.</summary>
    public static int Refresh(KernelState s, SptState t, AddrRange range, Provenance who)
    {
        (int first, int end) = t.EntriesOf(range);
        MmStruct? mm = s.FindMm(t.TargetMm);
        for (int i = first; i < end; i++)
        {
            t.WriteEntry(s.Frames, i, Of(mm, t.PageOf(i)), who);
        }

        return end - first;
    }

    /// <summary>Entries that differ from the truth: (index, expected, found). Empty when the table is consistent.</summary>
    public static IReadOnlyList<(int Index, ShadowPte Expected, ShadowPte Found)> Differences(KernelState s)
    {
        ArgumentNullException.ThrowIfNull(s);
        SptState t = s.Extension<SptState>();
        var differences = new List<(int, ShadowPte, ShadowPte)>();
        if (!t.IsOpen || !t.Tracking)
        {
            return differences;
        }

        MmStruct? mm = s.FindMm(t.TargetMm);
        var who = new Provenance(s.Step, "shadow consistency check");
        for (int i = 0; i < t.EntryCount; i++)
        {
            ShadowPte expected = Of(mm, t.PageOf(i));
            ShadowPte found = t.ReadEntry(s.Frames, i, who);
            if (expected != found)
            {
                differences.Add((i, expected, found));
            }
        }

        return differences;
    }
}
