using ShadowPt.Kernel;
using static ShadowPt.Tests.Kernel.KernelTestUtil;

namespace ShadowPt.Tests.Kernel.Mm;

public sealed class MunmapTests
{
    [Fact]
    public void UnmappingTheMiddleOfAVmaLeavesTwoVmas()
    {
        MmStruct mm = NewMm();
        VirtAddr start = MapAnon(mm, 4 * Page);
        MunmapResult result = Vma.DoVmiMunmap(mm, start + Page, 2 * Page);
        Assert.Equal(Errno.None, result.Error);
        Assert.Equal(new[] { (start.Value, start.Value + Page, AnonRw), (start.Value + (3 * Page), start.Value + (4 * Page), AnonRw) }, Layout(mm));
        VmArea removed = Assert.Single(result.Plan.Removed);
        Assert.Equal(new AddrRange(start + Page, start + (3 * Page)), removed.Range);
        Assert.Equal((start.Vpn + 1), removed.VmPgoff);
        Assert.Equal((start + Page, start + (3 * Page)), (result.Plan.PgtablesFloor, result.Plan.PgtablesCeiling));
        Assert.Equal(start.Vpn + 3, mm.Vmas[1].VmPgoff);
        mm.AssertInvariants();
    }

    [Fact]
    public void UnmappingAcrossVmasAndHolesSplitsOnlyAtTheEnds()
    {
        MmStruct mm = NewMm();
        VirtAddr a = MapAnon(mm, 2 * Page, addr: 0x10000000);
        VirtAddr b = MapAnon(mm, 2 * Page, Prot.Read, addr: 0x10004000);
        VirtAddr c = MapAnon(mm, 2 * Page, addr: 0x10008000);
        MunmapResult result = Vma.DoVmiMunmap(mm, a + Page, (c + Page) - (a + Page));
        Assert.Equal(
            new[] { (a + Page, a + (2 * Page)), (b, b + (2 * Page)), (c, c + Page) },
            result.Plan.Removed.Select(v => (v.VmStart, v.VmEnd)).ToArray());
        Assert.Equal(new AddrRange(a + Page, c + Page), result.Plan.Span);
        Assert.Equal(new[] { (a.Value, a.Value + Page, AnonRw), (c.Value + Page, c.Value + (2 * Page), AnonRw) }, Layout(mm));
    }

    [Fact]
    public void UnmappingNothingSucceedsAndRemovesNothing()
    {
        MmStruct mm = NewMm();
        MapAnon(mm, Page, addr: 0x10000000);
        MunmapResult result = Vma.DoVmiMunmap(mm, Va(0x20000000), Page);
        Assert.Equal(Errno.None, result.Error);
        Assert.True(result.Plan.IsEmpty);
        Assert.Equal(1, mm.Vmas.Count);
    }

    [Theory]
    [InlineData(0x10000001UL, 4096UL)]
    [InlineData(0x10000000UL, 0UL)]
    [InlineData(0x7ffffffff000UL, 8192UL)]
    public void BadArgumentsAreInvalid(ulong start, ulong length)
    {
        MmStruct mm = NewMm();
        Assert.Equal(Errno.EINVAL, Vma.DoVmiMunmap(mm, Va(start), length).Error);
    }

    [Fact]
    public void SplittingTheMiddleAtTheMapCountLimitFails()
    {
        MmStruct mm = NewMm(layout: MmLayout.X8664Default() with { MaxMapCount = 1 });
        VirtAddr start = MapAnon(mm, 3 * Page);
        Assert.Equal(Errno.ENOMEM, Vma.DoVmiMunmap(mm, start + Page, Page).Error);
        Assert.Equal(Errno.None, Vma.DoVmiMunmap(mm, start + (2 * Page), Page).Error);
        Assert.Equal(new[] { (start.Value, start.Value + (2 * Page), AnonRw) }, Layout(mm));
    }

    [Fact]
    public void PlanFloorAndCeilingFreeThePageTablesOfTheHole()
    {
        var frames = new FrameAllocator(64);
        MmStruct mm = NewMm(frames);
        VirtAddr start = MapAnon(mm, Page, addr: 0x10000000);
        mm.Pgd.PteAlloc(start, Who(1));
        MunmapResult result = Vma.DoVmiMunmap(mm, start, Page);
        var unhooked = new List<Pfn>();
        mm.Pgd.FreePgdRange(result.Plan.Span.Start, result.Plan.Span.End, result.Plan.PgtablesFloor, result.Plan.PgtablesCeiling, unhooked);
        Assert.Equal(3, unhooked.Count);
        frames.FreePages(unhooked, Who(2));
        Assert.Equal(1, frames.AllocatedCount);
    }
}
