using ShadowPt.Kernel;
using static ShadowPt.Tests.Kernel.KernelTestUtil;

namespace ShadowPt.Tests.Kernel.Mm;

public sealed class UnmappedAreaTests
{
    [Fact]
    public void MmapBaseIsTaskSizeLessTheClampedStackGap()
    {
        Assert.Equal(0x7ffff7fff000UL, MmLayout.ComputeMmapBase(PageGeometry.TaskSizeMax, 8UL << 20, 1UL << 20));
        Assert.Equal(0x7fffbffff000UL, MmLayout.ComputeMmapBase(PageGeometry.TaskSizeMax, 1UL << 30, 0));
        Assert.Equal(0x2aaaaaaab000UL, MmLayout.X8664Default().MmapLegacyBase);
    }

    [Fact]
    public void TopDownSearchSkipsTheGuardGapBelowAGrowsDownVma()
    {
        MmStruct mm = NewMm();
        ulong stack = MmapBase - 0x400000;
        Mmap.DoMmap(mm, Va(stack), Page, Prot.Read | Prot.Write, MapFlags.Private | MapFlags.Anonymous | MapFlags.Fixed | MapFlags.GrowsDown, null, 0);
        ulong fill = stack + Page;
        MapAnon(mm, MmapBase - fill, Prot.Read, addr: fill, extra: MapFlags.Fixed);
        Assert.Equal(Va(stack - mm.Layout.StackGuardGapBytes - Page), MapAnon(mm, Page, Prot.Exec));
    }

    [Fact]
    public void SearchFallsBackToBottomUpWhenNothingFitsBelowMmapBase()
    {
        MmLayout small = MmLayout.X8664Default() with { TaskSize = 1UL << 30, StackTop = 1UL << 30, ThpAlignAnonymous = false };
        MmStruct mm = NewMm(layout: small);
        ulong mmapBase = small.MmapBase;
        Assert.Equal((1UL << 30) - (128UL << 20), mmapBase);
        MapAnon(mm, mmapBase - small.MmapMinAddr, Prot.Read, addr: small.MmapMinAddr, extra: MapFlags.Fixed);
        Assert.Equal(Va(mmapBase), MapAnon(mm, Page, Prot.Exec));
        (Errno error, _) = UnmappedArea.GetUnmappedArea(mm, Va(0), 1UL << 30, true, MapFlags.Private);
        Assert.Equal(Errno.ENOMEM, error);
    }
}
