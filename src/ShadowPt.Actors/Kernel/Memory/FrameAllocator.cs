using System.Globalization;

namespace ShadowPt.Kernel;

/// <summary>
/// Simulated physical memory: M frames of 4 KiB, a deterministic FIFO free list, per-frame
/// reference and map counts, sparse page contents, and per-frame history that turns a double free
/// or a use after free into a readable report.
/// </summary>
/// <remarks>
/// Models the page allocator (mm/page_alloc.c) at order 0 and the counters of struct page / folio
/// (include/linux/mm.h: get_page, put_page, folio_mapcount). Pfn 0 is reserved and pfn 1 is the zero
/// page (mm/memory.c: my_zero_pfn). Freed frames go to the tail of the free list, so a freed frame
/// stays free as long as possible and a stale access finds it free rather than reused.
/// Not thread-safe: the memory-subsystem actor owns it.
/// </remarks>
public sealed partial class FrameAllocator
{
    /// <summary>Largest machine: 2^26 frames (256 GiB of simulated memory).</summary>
    public const int FramesMax = 1 << 26;

    /// <summary>Smallest machine: the reserved frame, the zero page and one usable frame.</summary>
    public const int FramesMin = 3;

    /// <summary>Distinct provenance labels kept for histories.</summary>
    public const int LabelsMax = 1 << 16;

    /// <summary>
    /// Bytes of allocator metadata per frame at most: the 40-byte record, the 4-byte free-list slot and the
    /// 8-byte contents slot. Frames never handed out cost nothing (FrameAllocator.Storage.cs), so this bounds the real figure.
    /// </summary>
    public const int MetadataBytesPerFrame = 52;

    /// <summary>References or maps one frame may hold; far above any scenario, catches runaway counts.</summary>
    public const int CountMax = 1 << 24;

    /// <summary>The frame that is never handed out.</summary>
    public static readonly Pfn ReservedPfn = new(0);

    /// <summary>The shared zero page, mapped read-only on read faults of anonymous memory.</summary>
    public static readonly Pfn ZeroPfn = new(1);

    /// <summary>Provenance labels by index.</summary>
    private readonly List<string> _labels = new();

    /// <summary>Provenance label indexes by text.</summary>
    private readonly Dictionary<string, int> _labelIndex = new(StringComparer.Ordinal);

    public FrameAllocator(int frameCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(frameCount, FramesMin);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(frameCount, FramesMax);
        _frameCount = frameCount;
        InitFrames();
    }

    /// <summary>Total frames, including the reserved frame and the zero page.</summary>
    public int FrameCount => _frameCount;

    /// <summary>Frames on the free list.</summary>
    public int FreeCount => _freeCount;

    /// <summary>Frames that can ever be allocated (all but the reserved frame and the zero page).</summary>
    public int UsableCount => _frameCount - 2;

    /// <summary>Frames allocated now.</summary>
    public int AllocatedCount => UsableCount - _freeCount;

    /// <summary>
    /// alloc_page: takes the oldest free frame, gives it one reference and zero-filled contents.
    /// Returns null when memory is exhausted (the caller turns that into VM_FAULT_OOM or -ENOMEM).
    /// </summary>
    public Pfn? AllocPage(FrameKind kind, Provenance who)
    {
        Bug.On(kind is FrameKind.Free or FrameKind.Reserved or FrameKind.ZeroPage, "AllocPage: kind cannot be allocated");
        if (_freeCount == 0)
        {
            return null;
        }

        int pfn = TakeFree();
        ref FrameRecord f = ref RecordRef(pfn);
        Bug.On(f.Kind != FrameKind.Free || f.RefCount != 0 || f.MapCount != 0, "AllocPage: free list holds a busy frame");
        f.Kind = kind;
        f.RefCount = 1;
        f.AllocStep = who.Step;
        f.AllocWho = Label(who.Who);
        f.Generation++;
        return new Pfn((ulong)pfn);
    }

    /// <summary>
    /// __free_page of a frame that holds only its allocation reference (page tables, kernel pages):
    /// the reference count must be one and nothing may map it.
    /// </summary>
    public void FreePage(Pfn pfn, Provenance who)
    {
        ref FrameRecord f = ref Allocated(pfn, who, "free");
        if (f.MapCount != 0)
        {
            throw Fault(FrameFault.FreeWhileMapped, pfn, who, "free of a mapped frame");
        }

        if (f.RefCount != 1)
        {
            throw Fault(FrameFault.BadCount, pfn, who, string.Create(CultureInfo.InvariantCulture, $"free with refcount {f.RefCount}"));
        }

        Release(pfn, ref f, who);
    }

    /// <summary>Frees every frame in <paramref name="pfns"/> with <see cref="FreePage"/>, in list order.</summary>
    public void FreePages(IReadOnlyList<Pfn> pfns, Provenance who)
    {
        ArgumentNullException.ThrowIfNull(pfns);
        Bug.On(pfns.Count > _frameCount, "FreePages: more pfns than frames");
        for (int i = 0; i < pfns.Count; i++)
        {
            FreePage(pfns[i], who);
        }
    }

    /// <summary>get_page: takes one more reference on an allocated frame.</summary>
    public void GetPage(Pfn pfn, Provenance who)
    {
        ref FrameRecord f = ref Allocated(pfn, who, "get_page");
        Bug.On(f.RefCount >= CountMax, "GetPage: refcount overflow");
        f.RefCount++;
    }

    /// <summary>put_page: drops one reference; frees the frame when none remain. Returns true when freed.</summary>
    public bool PutPage(Pfn pfn, Provenance who)
    {
        ref FrameRecord f = ref Allocated(pfn, who, "put_page");
        if (f.RefCount == 1 && f.MapCount != 0)
        {
            throw Fault(FrameFault.FreeWhileMapped, pfn, who, "last put_page of a mapped frame");
        }

        if (f.RefCount > 1)
        {
            f.RefCount--;
            return false;
        }

        Release(pfn, ref f, who);
        return true;
    }

    /// <summary>
    /// One more PTE maps the frame (folio_add_new_anon_rmap, folio_add_file_rmap_pte, fork's dup).
    /// The caller holds a reference for the mapping. Returns the new map count.
    /// </summary>
    public int AddMapCount(Pfn pfn, Provenance who)
    {
        ref FrameRecord f = ref Allocated(pfn, who, "map");
        if (f.MapCount >= f.RefCount)
        {
            throw Fault(FrameFault.BadCount, pfn, who, "map without a reference for it");
        }

        f.MapCount++;
        return f.MapCount;
    }

    /// <summary>One PTE stopped mapping the frame (folio_remove_rmap_pte). Returns the new map count.</summary>
    public int RemoveMapCount(Pfn pfn, Provenance who)
    {
        ref FrameRecord f = ref Allocated(pfn, who, "unmap");
        if (f.MapCount == 0)
        {
            throw Fault(FrameFault.BadCount, pfn, who, "unmap of an unmapped frame");
        }

        f.MapCount--;
        return f.MapCount;
    }

    /// <summary>Throws <see cref="FrameStateException"/> (use after free, with history) unless the frame is allocated.</summary>
    public void CheckAllocated(Pfn pfn, Provenance who) => _ = ref Allocated(pfn, who, "access");

    /// <summary>True when the frame is allocated now (not free, not reserved, not the zero page).</summary>
    public bool IsAllocated(Pfn pfn) => InRange(pfn) && IsAllocatedKind(KindOf(pfn.Index));

    /// <summary>What the frame holds; any valid pfn.</summary>
    public FrameKind Kind(Pfn pfn)
    {
        Bug.On(!InRange(pfn), "Kind: pfn out of range");
        return KindOf(pfn.Index);
    }

    /// <summary>page_ref_count.</summary>
    public int PageRefCount(Pfn pfn)
    {
        Bug.On(!InRange(pfn), "PageRefCount: pfn out of range");
        return Record(pfn.Index).RefCount;
    }

    /// <summary>page_mapcount: PTEs mapping the frame.</summary>
    public int PageMapCount(Pfn pfn)
    {
        Bug.On(!InRange(pfn), "PageMapCount: pfn out of range");
        return Record(pfn.Index).MapCount;
    }

    /// <summary>How many times the frame was allocated; a stale holder sees a different generation.</summary>
    public int Generation(Pfn pfn)
    {
        Bug.On(!InRange(pfn), "Generation: pfn out of range");
        return Record(pfn.Index).Generation;
    }

    /// <summary>True when <paramref name="pfn"/> names a frame of this machine.</summary>
    public bool InRange(Pfn pfn) => pfn.Value < (ulong)_frameCount;

    /// <summary>The frame's state and last allocation and free, in one line.</summary>
    public string History(Pfn pfn)
    {
        if (!InRange(pfn))
        {
            return $"pfn {pfn}: out of range (machine has {_frameCount} frames)";
        }

        FrameRecord f = Record(pfn.Index);
        return string.Create(
            CultureInfo.InvariantCulture,
            $"pfn {pfn}: {f.Kind}, refcount {f.RefCount}, mapcount {f.MapCount}, generation {f.Generation}; " +
            $"last allocated by {Describe(f.AllocWho, f.AllocStep)}; last freed by {Describe(f.FreeWho, f.FreeStep)}");
    }

    /// <summary>Checks the free list against the frame array and the counts of every frame.</summary>
    public void AssertInvariants()
    {
        int free = 0;
        for (int pfn = 0; pfn < _frameCount; pfn++)
        {
            FrameRecord f = Record(pfn);
            Bug.On(f.MapCount < 0 || f.RefCount < 0, "frames: negative count");
            Bug.On(f.Kind == FrameKind.Free && (f.RefCount != 0 || f.MapCount != 0), "frames: free frame with counts");
            Bug.On(IsAllocatedKind(f.Kind) && (f.RefCount < 1 || f.MapCount > f.RefCount), "frames: allocated frame with bad counts");
            free += f.Kind == FrameKind.Free ? 1 : 0;
        }

        Bug.On(free != _freeCount, "frames: free count differs from the free list");
        Bug.On(_freeCount != _frameCount - _virginNext + _ringCount, "frames: free count differs from the virgin range and the ring");
        for (int i = 0; i < _freeCount; i++)
        {
            Bug.On(Record(FreeAt(i)).Kind != FrameKind.Free, "frames: free list holds a busy frame");
        }
    }

    private static bool IsAllocatedKind(FrameKind kind) =>
        kind is FrameKind.Anon or FrameKind.PageCache or FrameKind.PageTable or FrameKind.Kernel;

    private void InitFrames()
    {
        RecordRef(ReservedPfn.Index).Kind = FrameKind.Reserved;
        RecordRef(ZeroPfn.Index).Kind = FrameKind.ZeroPage;
        RecordRef(ZeroPfn.Index).RefCount = 1;
        _virginNext = ZeroPfn.Index + 1;
        _freeCount = _frameCount - _virginNext;
    }

    private ref FrameRecord Allocated(Pfn pfn, Provenance who, string operation)
    {
        if (!InRange(pfn))
        {
            throw new KernelBugException($"{operation}: pfn {pfn} out of range by {who}");
        }

        if (ChunkOf(pfn.Index) is not FrameRecord[] chunk)
        {
            throw FreeFrameFault(pfn, who, operation); // never handed out: a virgin frame is free
        }

        ref FrameRecord f = ref chunk[pfn.Index & ChunkMask];
        if (f.Kind == FrameKind.Free)
        {
            throw FreeFrameFault(pfn, who, operation);
        }

        if (!IsAllocatedKind(f.Kind))
        {
            throw new KernelBugException($"{operation}: pfn {pfn} is {f.Kind} and cannot be counted ({who})");
        }

        return ref f;
    }

    /// <summary>The report of <paramref name="operation"/> on a free frame: a double free, or a use after free (told to the watcher first).</summary>
    private FrameStateException FreeFrameFault(Pfn pfn, Provenance who, string operation)
    {
        FrameFault fault = operation is "free" or "put_page" ? FrameFault.DoubleFree : FrameFault.UseAfterFree;
        if (fault == FrameFault.UseAfterFree)
        {
            Watcher?.UsedAfterFree(pfn, who, operation);
        }

        return Fault(fault, pfn, who, fault == FrameFault.DoubleFree ? "double free" : operation + " of a free frame");
    }

    private void Release(Pfn pfn, ref FrameRecord f, Provenance who)
    {
        f.Kind = FrameKind.Free;
        f.RefCount = 0;
        f.FreeStep = who.Step;
        f.FreeWho = Label(who.Who);
        DropContents(pfn);
        PutFree(pfn.Index);
        Bug.On(_freeCount > UsableCount, "Release: free list overflow");
        Watcher?.Freed(pfn, who);
    }

    private FrameStateException Fault(FrameFault fault, Pfn pfn, Provenance who, string what) =>
        new(fault, pfn, $"{what} of pfn {pfn} by {who}. {History(pfn)}");

    private int Label(string who)
    {
        ArgumentNullException.ThrowIfNull(who);
        if (_labelIndex.TryGetValue(who, out int index))
        {
            return index;
        }

        Bug.On(_labels.Count >= LabelsMax, "frames: too many distinct provenance labels");
        _labels.Add(who);
        _labelIndex.Add(who, _labels.Count - 1);
        return _labels.Count - 1;
    }

    private string Describe(int label, long step) =>
        label < 0 ? "nobody" : string.Create(CultureInfo.InvariantCulture, $"'{_labels[label]}' at step {step}");
}
