namespace ShadowPt.Kernel;

/// <summary>
/// What each completed clear_refs left behind, for checks: the step it returned at and a hash of every
/// page's contents at that moment (taken in its last memory operation, after the TLB flush). A page
/// whose contents later differ was written after the clear returned, so pagemap must show it soft-dirty.
/// </summary>
/// <remarks>Observation only: nothing in the model reads it.</remarks>
public sealed class ClearRefsLog
{
    /// <summary>Most records kept (the oldest are dropped).</summary>
    public const int RecordsMax = 64;

    /// <summary>Most pages one record hashes.</summary>
    public const int PagesPerRecordMax = 4096;

    private readonly List<ClearRefsRecord> _records = new();

    /// <summary>The records, oldest first.</summary>
    public IReadOnlyList<ClearRefsRecord> Records => _records;

    /// <summary>The log of <paramref name="s"/>.</summary>
    public static ClearRefsLog Of(KernelState s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return s.Extension<ClearRefsLog>();
    }

    /// <summary>The last record for <paramref name="mm"/>, or null.</summary>
    public ClearRefsRecord? LastFor(MmId mm) => _records.LastOrDefault(r => r.Mm == mm);

    /// <summary>Records a clear of <paramref name="mm"/> returning now. Runs inside a memory operation.</summary>
    internal bool Record(KernelState s, MmId mm)
    {
        var hashes = new SortedDictionary<ulong, ulong>();
        MmStruct m = s.Mm(mm);
        foreach (VmArea vma in m.Vmas.All)
        {
            for (VirtAddr page = vma.VmStart; page < vma.VmEnd && hashes.Count < PagesPerRecordMax; page += PageGeometry.PageSize)
            {
                if (PageContentHash(s, m.Pgd.GetPte(page)) is ulong hash)
                {
                    hashes[page.Value] = hash;
                }
            }
        }

        if (_records.Count >= RecordsMax)
        {
            _records.RemoveAt(0);
        }

        _records.Add(new ClearRefsRecord(mm, s.Step, hashes));
        return true;
    }

    /// <summary>FNV-1a of the page behind <paramref name="pte"/> (a frame, or a swap slot); null for none and special PTEs.</summary>
    public static ulong? PageContentHash(KernelState s, Pte pte)
    {
        ArgumentNullException.ThrowIfNull(s);
        var contents = new byte[PageGeometry.PageSize];
        if (pte.IsPresent && !pte.IsSpecial && s.Frames.IsAllocated(pte.Pfn))
        {
            s.Frames.ReadBytes(pte.Pfn, 0, contents, s.Who("clear_refs log"));
        }
        else if (!(pte.IsSwap && SwapInfo.Of(s).TryPeek(pte.PteToSwpEntry(), contents)))
        {
            return null;
        }

        ulong hash = 0xcbf29ce484222325;
        foreach (byte b in contents)
        {
            hash = (hash ^ b) * 0x100000001b3;
        }

        return hash;
    }
}

/// <summary>One completed clear_refs: the mm, the step it returned at, and each page's content hash then.</summary>
public sealed record ClearRefsRecord(MmId Mm, long Step, IReadOnlyDictionary<ulong, ulong> PageHashes);
