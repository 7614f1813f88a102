using ShadowPt.Kernel;
using static ShadowPt.Tests.Kernel.KernelTestUtil;

namespace ShadowPt.Tests.Kernel.Memory;

/// <summary>
/// The allocator stores only frames a run touched (a virgin range plus a ring of freed pfns, arrays that
/// grow): it must hand out exactly the pfns of a FIFO free list that starts with every usable pfn in order.
/// </summary>
public sealed class FrameAllocatorStorageTests
{
    /// <summary>The plain model: a queue of every usable pfn, frees at the tail, the NUMA pick swapped to the head.</summary>
    private sealed class ReferenceFreeList
    {
        private readonly List<int> _free;

        public ReferenceFreeList(int frames) => _free = Enumerable.Range(2, frames - 2).ToList();

        public int? Alloc() => TakeAt(0);

        public int? AllocWhere(Func<int, bool> accept)
        {
            int i = _free.FindIndex(p => accept(p));
            if (i < 0)
            {
                return null;
            }

            (_free[0], _free[i]) = (_free[i], _free[0]);
            return TakeAt(0);
        }

        public void Free(int pfn) => _free.Add(pfn);

        private int? TakeAt(int i)
        {
            if (_free.Count == 0)
            {
                return null;
            }

            int pfn = _free[i];
            _free.RemoveAt(i);
            return pfn;
        }
    }

    [Theory]
    [InlineData(3, 1)]
    [InlineData(70, 2)]
    [InlineData(300, 3)]
    [InlineData(1024, 4)]
    public void HandsOutTheSamePfnsAsAFifoOfEveryFrame(int frameCount, int seed)
    {
        var frames = new FrameAllocator(frameCount);
        var reference = new ReferenceFreeList(frameCount);
        var held = new List<Pfn>();
        var random = new Random(seed); // the test's own workload; the model under test uses none
        for (int step = 0; step < 4000; step++)
        {
            int roll = random.Next(10);
            if (roll < 5 || held.Count == 0)
            {
                Pfn? got = frames.AllocPage(FrameKind.Anon, Who(step));
                Assert.Equal(reference.Alloc(), got is Pfn p ? p.Index : null);
                if (got is Pfn pfn)
                {
                    frames.WriteU64(pfn, 8, (ulong)step, Who(step));
                    held.Add(pfn);
                }
            }
            else if (roll == 5 && step > 2000)
            {
                int parity = random.Next(3);
                Pfn? got = frames.AllocPageWhere(FrameKind.Anon, Who(step), p => (int)(p.Value % 3) == parity);
                Assert.Equal(reference.AllocWhere(p => p % 3 == parity), got is Pfn p2 ? p2.Index : null);
                if (got is Pfn pfn)
                {
                    held.Add(pfn);
                }
            }
            else
            {
                int i = random.Next(held.Count);
                Pfn pfn = held[i];
                held.RemoveAt(i);
                frames.FreePage(pfn, Who(step));
                reference.Free(pfn.Index);
            }

            Assert.Equal(frameCount - 2 - held.Count, frames.FreeCount);
            Assert.All(held, p => Assert.True(p.Index < frames.NeverAllocatedFrom));
        }

        for (int pfn = frames.NeverAllocatedFrom; pfn < frameCount; pfn++)
        {
            Assert.Equal((FrameKind.Free, 0), (frames.Kind(new Pfn((ulong)pfn)), frames.Generation(new Pfn((ulong)pfn))));
        }

        frames.AssertInvariants();
    }

    [Fact]
    public void FramesNeverHandedOutReadAsFreeAndZeroOnTheLargestMachine()
    {
        var frames = new FrameAllocator(FrameAllocator.FramesMax);
        Pfn first = frames.AllocPage(FrameKind.Anon, Who(1)).GetValueOrDefault();
        Assert.Equal(new Pfn(2), first);
        var high = new Pfn(FrameAllocator.FramesMax - 1);
        Assert.True(frames.InRange(high));
        Assert.Equal(FrameKind.Free, frames.Kind(high));
        Assert.Equal((0, 0, 0), (frames.PageRefCount(high), frames.PageMapCount(high), frames.Generation(high)));
        Assert.False(frames.IsAllocated(high));
        Assert.Equal("pfn 0x3ffffff: Free, refcount 0, mapcount 0, generation 0; last allocated by nobody; last freed by nobody", frames.History(high));
        FrameStateException read = Assert.Throws<FrameStateException>(() => frames.ReadU64(high, 0, Who(2, "stale")));
        Assert.Equal(FrameFault.UseAfterFree, read.Fault);
        Assert.Equal(FrameFault.DoubleFree, Assert.Throws<FrameStateException>(() => frames.FreePage(high, Who(3))).Fault);
        Assert.Equal(FrameAllocator.FramesMax - 3, frames.FreeCount);
    }
}
