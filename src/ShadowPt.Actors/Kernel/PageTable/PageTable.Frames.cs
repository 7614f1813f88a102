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
        for (int g = _pgd.First; g < _pgd.End; g++)
        {
            if (_pgd.Get(g) is not PudTable pud)
            {
                continue;
            }

            frames.Add(pud.Pfn);
            for (int u = pud.First; u < pud.End; u++)
            {
                if (pud.Get(u) is not PmdTable pmd)
                {
                    continue;
                }

                frames.Add(pmd.Pfn);
                for (int m = pmd.First; m < pmd.End; m++)
                {
                    if (pmd.Get(m) is PtePage pte)
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
