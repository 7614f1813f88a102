using PmdTable = ShadowPt.Kernel.DirTable<ShadowPt.Kernel.PtePage>;
using PudTable = ShadowPt.Kernel.DirTable<ShadowPt.Kernel.DirTable<ShadowPt.Kernel.PtePage>>;

namespace ShadowPt.Kernel;

/// <summary>The frames a page table lives in, for the frame-ownership check.</summary>
public sealed partial class PageTable
{
    /// <summary>
    /// Every frame holding a table of this mm: the PGD, then each PUD, PMD and PTE table in address
    /// order. Empty once <see cref="FreeAll"/> ran. The walk is three nested loops, not recursion.
    /// </summary>
    public IReadOnlyList<Pfn> TableFrames()
    {
        var frames = new List<Pfn>(1 + UpperTableCount + PtePageCount);
        if (IsFreed)
        {
            return frames;
        }

        frames.Add(_pgd.Pfn);
        foreach (PudTable? pud in _pgd.Entries)
        {
            if (pud is null)
            {
                continue;
            }

            frames.Add(pud.Pfn);
            foreach (PmdTable? pmd in pud.Entries)
            {
                if (pmd is null)
                {
                    continue;
                }

                frames.Add(pmd.Pfn);
                foreach (PtePage? pte in pmd.Entries)
                {
                    if (pte is not null)
                    {
                        frames.Add(pte.Pfn);
                    }
                }
            }
        }

        Bug.On(frames.Count != 1 + UpperTableCount + PtePageCount, "page table: table frames differ from the table counts");
        return frames;
    }
}
