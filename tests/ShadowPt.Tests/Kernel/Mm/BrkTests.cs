using ShadowPt.Kernel;
using static ShadowPt.Tests.Kernel.KernelTestUtil;

namespace ShadowPt.Tests.Kernel.Mm;

public sealed class BrkTests
{
    private const ulong StartBrk = 0x555555559000;
    private const VmFlags HeapFlags = VmFlagSets.DataDefault | VmFlags.Account;

    private static MmStruct NewProcess()
    {
        MmStruct mm = NewMm();
        mm.SetBrkBase(Va(StartBrk));
        return mm;
    }

    [Fact]
    public void GrowingCreatesThenExtendsOneHeapVma()
    {
        MmStruct mm = NewProcess();
        BrkResult first = Mmap.SysBrk(mm, Va(StartBrk + 0x21000));
        Assert.Equal(Va(StartBrk + 0x21000), first.Brk);
        Assert.Equal(new AddrRange(Va(StartBrk), Va(StartBrk + 0x21000)), first.Grown);
        BrkResult second = Mmap.SysBrk(mm, Va(StartBrk + 0x22800));
        Assert.Equal(new AddrRange(Va(StartBrk + 0x21000), Va(StartBrk + 0x23000)), second.Grown);
        Assert.Equal(new[] { (StartBrk, StartBrk + 0x23000, HeapFlags) }, Layout(mm));
        Assert.Equal(StartBrk >> 12, mm.Vmas[0].VmPgoff);
        mm.AssertInvariants();
    }

    [Fact]
    public void MovingWithinAPageChangesOnlyTheBreak()
    {
        MmStruct mm = NewProcess();
        Mmap.SysBrk(mm, Va(StartBrk + 0x100));
        BrkResult result = Mmap.SysBrk(mm, Va(StartBrk + 0x800));
        Assert.Equal(Va(StartBrk + 0x800), result.Brk);
        Assert.True(result.Grown.IsEmpty);
        Assert.Equal(1, mm.Vmas.Count);
    }

    [Fact]
    public void ShrinkingUnmapsTheFreedPages()
    {
        MmStruct mm = NewProcess();
        Mmap.SysBrk(mm, Va(StartBrk + (4 * Page)));
        BrkResult result = Mmap.SysBrk(mm, Va(StartBrk + Page + 8));
        Assert.Equal(Va(StartBrk + Page + 8), result.Brk);
        Assert.Equal(new AddrRange(Va(StartBrk + (2 * Page)), Va(StartBrk + (4 * Page))), Assert.Single(result.Shrunk.Removed).Range);
        Assert.Equal(new[] { (StartBrk, StartBrk + (2 * Page), HeapFlags) }, Layout(mm));
    }

    [Fact]
    public void BelowStartBrkOrIntoTheNextMappingFailsAndReturnsTheOldBreak()
    {
        MmStruct mm = NewProcess();
        Assert.Equal(Va(StartBrk), Mmap.SysBrk(mm, Va(StartBrk - Page)).Brk);
        MapAnon(mm, Page, addr: StartBrk + (4 * Page));
        Assert.Equal(Va(StartBrk), Mmap.SysBrk(mm, Va(StartBrk + (4 * Page))).Brk);
        Assert.Equal(Va(StartBrk + (3 * Page)), Mmap.SysBrk(mm, Va(StartBrk + (3 * Page))).Brk);
        Assert.Equal(2, mm.Vmas.Count);
    }

    [Fact]
    public void GrowthKeepsTheStackGuardGapBelowAGrowsDownVma()
    {
        MmStruct mm = NewProcess();
        ulong stackStart = StartBrk + 0x200000;
        Assert.Equal(Errno.None, Mmap.DoMmap(mm, Va(stackStart), Page, Prot.Read | Prot.Write, MapFlags.Private | MapFlags.Anonymous | MapFlags.Fixed | MapFlags.GrowsDown, null, 0).Error);
        ulong limit = stackStart - mm.Layout.StackGuardGapBytes - Page;
        Assert.Equal(Va(StartBrk), Mmap.SysBrk(mm, Va(limit + Page)).Brk);
        Assert.Equal(Va(limit), Mmap.SysBrk(mm, Va(limit)).Brk);
    }
}
