using ShadowPt.Kernel;
using static ShadowPt.Tests.Kernel.KernelTestUtil;

namespace ShadowPt.Tests.Kernel.PageTable;

public sealed class RemapPfnTests
{
    [Fact]
    public void RemapsFramesWithSpecialPtesAndMarksTheVma()
    {
        var frames = new FrameAllocator(64);
        MmStruct mm = NewMm(frames);
        VirtAddr start = MapAnon(mm, 2 * Page);
        Pfn first = frames.AllocPage(FrameKind.Kernel, Who(1)).GetValueOrDefault();
        frames.AllocPage(FrameKind.Kernel, Who(1));
        Assert.Equal(Errno.None, RemapPfn.RemapPfnRange(mm, start, first, 2, mm.Vmas[0].PageProt, Who(2)));
        Pte pte = mm.Pgd.GetPte(start + Page);
        Assert.True(pte.IsSpecial && pte.IsPresent && !pte.IsWrite);
        Assert.Equal(new Pfn(first.Value + 1), pte.Pfn);
        Assert.Equal(AnonRw | RemapPfn.RemapFlags, mm.Vmas[0].VmFlags);
        Assert.Equal(first.Value, mm.Vmas[0].VmPgoff);
        Assert.Equal(Pagemap.Present | first.Value, Pagemap.Read(mm, frames, start, 1)[0]);
        Assert.Empty(Mlock.DoMlock(mm, start, Page).Changes);
        mm.AssertInvariants(frames);
    }

    [Fact]
    public void APartialRemapOfACowMappingOrARangeOutsideOneVmaIsInvalid()
    {
        MmStruct mm = NewMm();
        VirtAddr start = MapAnon(mm, 2 * Page);
        Assert.Equal(Errno.EINVAL, RemapPfn.RemapPfnRange(mm, start, new Pfn(2), 1, PgProt.PageReadonly, Who(1)));
        Assert.Equal(Errno.EINVAL, RemapPfn.RemapPfnRange(mm, start, new Pfn(2), 3, PgProt.PageReadonly, Who(1)));
        Assert.Equal(AnonRw, mm.Vmas[0].VmFlags);
    }
}
