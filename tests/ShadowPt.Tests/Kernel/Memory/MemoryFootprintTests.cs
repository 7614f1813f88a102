using ShadowPt.Kernel;
using Xunit.Abstractions;
using static ShadowPt.Tests.Kernel.KernelTestUtil;

namespace ShadowPt.Tests.Kernel.Memory;

public sealed class MemoryFootprintTests(ITestOutputHelper output)
{
    /// <summary>1 GiB of anonymous memory, every page faulted in.</summary>
    private const int MappedPages = 1 << 18;

    [Fact]
    public void AGibibyteMappingCostsAtMost64BytesPerPage()
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var frames = new FrameAllocator(MappedPages + 1024);
        MmStruct mm = NewMm(frames);
        VirtAddr start = MapAnon(mm, (ulong)MappedPages * Page);
        MapEveryPage(mm, frames, start);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        MemoryFootprint estimate = MemoryFootprint.Measure(frames, [mm]);
        double measured = (double)allocated / MappedPages;
        output.WriteLine($"measured {measured:F1} bytes per mapped page ({allocated} bytes allocated)");
        output.WriteLine("estimate " + estimate);
        Assert.Equal(MappedPages, estimate.MappedPages);
        Assert.True(measured <= 64, $"measured {measured:F1} bytes per mapped page");
        Assert.True(estimate.BytesPerMappedPage <= 64, estimate.ToString());
        Assert.InRange(measured, estimate.BytesPerMappedPage * 0.95, estimate.BytesPerMappedPage * 1.05);
    }

    private static void MapEveryPage(MmStruct mm, FrameAllocator frames, VirtAddr start)
    {
        Provenance who = Who(1, "do_anonymous_page");
        VmArea vma = mm.Vmas.VmaLookup(start)!;
        for (int i = 0; i < MappedPages; i++)
        {
            VirtAddr address = start + ((ulong)i * Page);
            Assert.NotNull(mm.Pgd.PteAlloc(address, who));
            Pfn pfn = frames.AllocPage(FrameKind.Anon, who) ?? throw new InvalidOperationException("out of frames");
            frames.AddMapCount(pfn, who);
            mm.Pgd.SetPteAt(address, Pte.MkPte(pfn, vma.PageProt).PteMkWrite().PteMkDirty());
        }
    }
}
