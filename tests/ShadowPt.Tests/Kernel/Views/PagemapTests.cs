using ShadowPt.Kernel;
using static ShadowPt.Tests.Kernel.KernelTestUtil;

namespace ShadowPt.Tests.Kernel.Views;

public sealed class PagemapTests
{
    private readonly FrameAllocator _frames = new(64);
    private readonly MmStruct _mm;
    private readonly VirtAddr _start;

    public PagemapTests()
    {
        _mm = NewMm(_frames, MmLayout.X8664Default() with { MemSoftDirty = true });
        _start = MapAnon(_mm, 4 * Page, addr: 0x10000000);
        _mm.Pgd.PteAlloc(_start, Who(1));
    }

    private VmArea Vma => _mm.Vmas[0];

    [Fact]
    public void ZeroPageIsPresentButNeitherExclusiveNorFile()
    {
        _mm.Pgd.SetPteAt(_start, Pte.MkPte(FrameAllocator.ZeroPfn, Vma.PageProt).PteMkSpecial());
        ulong entry = Pagemap.Read(_mm, _frames, _start, 1)[0];
        Assert.Equal(Pagemap.Present | Pagemap.SoftDirty | 1UL, entry);
    }

    [Fact]
    public void AnAnonymousPageMappedOnceIsExclusiveAndTwiceIsNot()
    {
        Pfn pfn = _frames.AllocPage(FrameKind.Anon, Who(1)).GetValueOrDefault();
        _frames.AddMapCount(pfn, Who(1));
        _mm.Pgd.SetPteAt(_start + Page, Pte.MkPte(pfn, Vma.PageProt).PteMkWrite().PteMkDirty());
        Assert.Equal(Pagemap.Present | Pagemap.MmapExclusive | Pagemap.SoftDirty | pfn.Value, Pagemap.Read(_mm, _frames, _start + Page, 1)[0]);
        _frames.GetPage(pfn, Who(2));
        _frames.AddMapCount(pfn, Who(2));
        Assert.Equal(Pagemap.Present | Pagemap.SoftDirty, Pagemap.Read(_mm, _frames, _start + Page, 1, showPfn: false)[0]);
    }

    [Fact]
    public void APageCachePageIsAFilePage()
    {
        Pfn pfn = _frames.AllocPage(FrameKind.PageCache, Who(1)).GetValueOrDefault();
        _frames.GetPage(pfn, Who(1));
        _frames.AddMapCount(pfn, Who(1));
        Pte pte = Pte.MkPte(pfn, PgProt.PageReadonly);
        var cleanVma = Vma.WithFlags(Vma.VmFlags & ~VmFlags.SoftDirty);
        Assert.Equal(Pagemap.Present | Pagemap.File | Pagemap.MmapExclusive | pfn.Value, Pagemap.PteToPagemapEntry(cleanVma, pte, _frames));
    }

    [Fact]
    public void SwapEntriesCarryTypeAndOffsetAndTheSwappedBit()
    {
        Pte pte = Pte.SwpEntryToPte(new SwpEntry(3, 0x1234)).PteSwpMkSoftDirty();
        var cleanVma = Vma.WithFlags(Vma.VmFlags & ~VmFlags.SoftDirty);
        Assert.Equal(Pagemap.Swap | Pagemap.SoftDirty | (3UL | (0x1234UL << 5)), Pagemap.PteToPagemapEntry(cleanVma, pte, _frames));
    }

    [Fact]
    public void HolesInsideAVmaShowOnlyTheVmasSoftDirtyAndOutsideEveryVmaZero()
    {
        ulong[] entries = Pagemap.Read(_mm, _frames, _start - Page, 6);
        Assert.Equal(new ulong[] { 0, Pagemap.SoftDirty, Pagemap.SoftDirty, Pagemap.SoftDirty, Pagemap.SoftDirty, 0 }, entries);
    }

    [Fact]
    public void APresentPteToAFreedFrameIsReportedAsUseAfterFree()
    {
        Pfn pfn = _frames.AllocPage(FrameKind.Anon, Who(1, "cpu0 fault")).GetValueOrDefault();
        _mm.Pgd.SetPteAt(_start, Pte.MkPte(pfn, Vma.PageProt));
        _frames.FreePage(pfn, Who(2, "cpu1 buggy free"));
        FrameStateException e = Assert.Throws<FrameStateException>(() => Pagemap.Read(_mm, _frames, _start, 1));
        Assert.Equal(FrameFault.UseAfterFree, e.Fault);
        Assert.Contains("last freed by 'cpu1 buggy free' at step 2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WithoutSoftDirtyTrackingEntriesMatchTheReferenceMachine()
    {
        var frames = new FrameAllocator(64);
        MmStruct mm = NewMm(frames);
        VirtAddr start = MapAnon(mm, 2 * Page);
        VmArea vma = mm.Vmas[0];
        mm.Pgd.PteAlloc(start, Who(1));
        mm.Pgd.SetPteAt(start, Pte.MkPte(FrameAllocator.ZeroPfn, vma.PageProt).PteMkSpecial());
        Pfn pfn = frames.AllocPage(FrameKind.Anon, Who(2)).GetValueOrDefault();
        frames.AddMapCount(pfn, Who(2));
        mm.Pgd.SetPteAt(start + Page, Pte.MkPte(pfn, vma.PageProt).PteMkWrite().PteMkDirty());
        ulong[] entries = Pagemap.Read(mm, frames, start, 3);
        Assert.Equal(new[] { 0x8000000000000001UL, 0x8100000000000000UL | pfn.Value, 0UL }, entries);
    }
}
