using ShadowPt.Kernel;
using static ShadowPt.Tests.Kernel.KernelTestUtil;

namespace ShadowPt.Tests.Kernel.Memory;

public sealed class FrameAllocatorTests
{
    [Fact]
    public void AllocatesInFifoOrderAndNeverHandsOutReservedOrZeroPage()
    {
        var frames = new FrameAllocator(6);
        Assert.Equal(4, frames.UsableCount);
        Assert.Equal(new Pfn(2), frames.AllocPage(FrameKind.Anon, Who(1)));
        Assert.Equal(new Pfn(3), frames.AllocPage(FrameKind.Anon, Who(2)));
        frames.FreePage(new Pfn(2), Who(3));
        Assert.Equal(new Pfn(4), frames.AllocPage(FrameKind.Anon, Who(4)));
        Assert.Equal(new Pfn(5), frames.AllocPage(FrameKind.Anon, Who(5)));
        Assert.Equal(new Pfn(2), frames.AllocPage(FrameKind.Anon, Who(6)));
        Assert.Null(frames.AllocPage(FrameKind.Anon, Who(7)));
        Assert.Equal(FrameKind.Reserved, frames.Kind(FrameAllocator.ReservedPfn));
        Assert.Equal(FrameKind.ZeroPage, frames.Kind(FrameAllocator.ZeroPfn));
        frames.AssertInvariants();
    }

    [Fact]
    public void DoubleFreeIsDetectedWithTheFrameHistory()
    {
        var frames = new FrameAllocator(8);
        Pfn pfn = frames.AllocPage(FrameKind.Anon, Who(3, "cpu0 do_anonymous_page")).GetValueOrDefault();
        frames.FreePage(pfn, Who(9, "cpu0 zap_pte_range"));
        FrameStateException e = Assert.Throws<FrameStateException>(() => frames.FreePage(pfn, Who(17, "cpu1 munmap")));
        Assert.Equal(FrameFault.DoubleFree, e.Fault);
        Assert.Equal(pfn, e.Pfn);
        Assert.Equal(
            "double free of pfn 0x2 by 'cpu1 munmap' at step 17. pfn 0x2: Free, refcount 0, mapcount 0, generation 1; " +
            "last allocated by 'cpu0 do_anonymous_page' at step 3; last freed by 'cpu0 zap_pte_range' at step 9",
            e.Message);
        frames.AssertInvariants();
    }

    [Fact]
    public void PutPageOfAFreedFrameIsADoubleFree()
    {
        var frames = new FrameAllocator(8);
        Pfn pfn = frames.AllocPage(FrameKind.Anon, Who(1)).GetValueOrDefault();
        Assert.True(frames.PutPage(pfn, Who(2)));
        Assert.Equal(FrameFault.DoubleFree, Assert.Throws<FrameStateException>(() => frames.PutPage(pfn, Who(3))).Fault);
    }

    [Fact]
    public void UseAfterFreeIsDetectedOnReadWriteReferenceAndMap()
    {
        var frames = new FrameAllocator(8);
        Pfn pfn = frames.AllocPage(FrameKind.Anon, Who(1, "alloc")).GetValueOrDefault();
        frames.FreePage(pfn, Who(2, "free"));
        FrameStateException read = Assert.Throws<FrameStateException>(() => frames.ReadU64(pfn, 0, Who(5, "cpu2 user read")));
        Assert.Equal(FrameFault.UseAfterFree, read.Fault);
        Assert.StartsWith("read of a free frame of pfn 0x2 by 'cpu2 user read' at step 5.", read.Message, StringComparison.Ordinal);
        Assert.Contains("last freed by 'free' at step 2", read.Message, StringComparison.Ordinal);
        Assert.Equal(FrameFault.UseAfterFree, Assert.Throws<FrameStateException>(() => frames.WriteU64(pfn, 8, 1, Who(6))).Fault);
        Assert.Equal(FrameFault.UseAfterFree, Assert.Throws<FrameStateException>(() => frames.GetPage(pfn, Who(7))).Fault);
        Assert.Equal(FrameFault.UseAfterFree, Assert.Throws<FrameStateException>(() => frames.AddMapCount(pfn, Who(8))).Fault);
    }

    [Fact]
    public void ReferencesAndMapsCountLikeStructPage()
    {
        var frames = new FrameAllocator(8);
        Pfn pfn = frames.AllocPage(FrameKind.Anon, Who(1)).GetValueOrDefault();
        Assert.Equal(1, frames.AddMapCount(pfn, Who(1)));
        frames.GetPage(pfn, Who(2));
        Assert.Equal(2, frames.AddMapCount(pfn, Who(2)));
        Assert.Equal((2, 2), (frames.PageRefCount(pfn), frames.PageMapCount(pfn)));
        Assert.Equal(FrameFault.BadCount, Assert.Throws<FrameStateException>(() => frames.AddMapCount(pfn, Who(3))).Fault);
        Assert.Equal(1, frames.RemoveMapCount(pfn, Who(4)));
        Assert.False(frames.PutPage(pfn, Who(4)));
        Assert.Equal(FrameFault.FreeWhileMapped, Assert.Throws<FrameStateException>(() => frames.PutPage(pfn, Who(5))).Fault);
        Assert.Equal(0, frames.RemoveMapCount(pfn, Who(6)));
        Assert.True(frames.PutPage(pfn, Who(6)));
        Assert.False(frames.IsAllocated(pfn));
        frames.AssertInvariants();
    }

    [Fact]
    public void FreePageRequiresTheSoleReference()
    {
        var frames = new FrameAllocator(8);
        Pfn pfn = frames.AllocPage(FrameKind.Kernel, Who(1)).GetValueOrDefault();
        frames.GetPage(pfn, Who(2));
        Assert.Equal(FrameFault.BadCount, Assert.Throws<FrameStateException>(() => frames.FreePage(pfn, Who(3))).Fault);
    }

    [Fact]
    public void ContentsAreSparseZeroFilledAndDroppedOnFree()
    {
        var frames = new FrameAllocator(8);
        Pfn a = frames.AllocPage(FrameKind.Anon, Who(1)).GetValueOrDefault();
        Pfn b = frames.AllocPage(FrameKind.Anon, Who(1)).GetValueOrDefault();
        Assert.Equal(0UL, frames.ReadU64(a, 4088, Who(2)));
        Assert.Equal(0, frames.WrittenFrameCount);
        frames.WriteU64(a, 16, 0xdeadbeefUL, Who(3));
        Assert.Equal(1, frames.WrittenFrameCount);
        frames.CopyPage(b, a, Who(4));
        Assert.Equal(0xdeadbeefUL, frames.ReadU64(b, 16, Who(5)));
        Span<byte> bytes = stackalloc byte[4];
        frames.ReadBytes(b, 16, bytes, Who(5));
        Assert.Equal(new byte[] { 0xef, 0xbe, 0xad, 0xde }, bytes.ToArray());
        frames.FreePage(a, Who(6));
        Assert.Equal(1, frames.WrittenFrameCount);
        Assert.Equal(0UL, frames.ReadU64(FrameAllocator.ZeroPfn, 16, Who(7)));
        Assert.Throws<KernelBugException>(() => frames.WriteU64(FrameAllocator.ZeroPfn, 0, 1, Who(8)));
        Assert.Throws<KernelBugException>(() => frames.ReadU64(b, 3, Who(9)));
    }

    [Fact]
    public void ReallocatedFrameReadsZeroAndHasANewGeneration()
    {
        var frames = new FrameAllocator(3);
        Pfn pfn = frames.AllocPage(FrameKind.Anon, Who(1)).GetValueOrDefault();
        frames.WriteU64(pfn, 0, 42, Who(2));
        frames.FreePage(pfn, Who(3));
        Assert.Equal(pfn, frames.AllocPage(FrameKind.PageCache, Who(4)));
        Assert.Equal(0UL, frames.ReadU64(pfn, 0, Who(5)));
        Assert.Equal(2, frames.Generation(pfn));
    }

    [Fact]
    public void ZeroPageAndReservedFrameCannotBeCounted()
    {
        var frames = new FrameAllocator(4);
        Assert.Throws<KernelBugException>(() => frames.GetPage(FrameAllocator.ZeroPfn, Who(1)));
        Assert.Throws<KernelBugException>(() => frames.AddMapCount(FrameAllocator.ZeroPfn, Who(1)));
        Assert.Throws<KernelBugException>(() => frames.FreePage(FrameAllocator.ReservedPfn, Who(1)));
        Assert.Throws<KernelBugException>(() => frames.AllocPage(FrameKind.ZeroPage, Who(1)));
    }
}
