using ShadowPt.Kernel;
using ShadowPt.Tests.TestKit;

namespace ShadowPt.Tests.Kernel.Syscalls;

/// <summary>fork with copy-on-write, on 1 and 4 CPUs (the child runs on another CPU when there is one).</summary>
public sealed class ForkTests
{
    private const ulong Page = SimMachine.Page;

    public static TheoryData<int> CpuCounts() => new(1, 4);

    /// <summary>A parent with one written private page, forked: (sim, parent, child, address, frame).</summary>
    private static (SimMachine Sim, int Parent, int Child, VirtAddr A, Pfn Frame) Forked(int cpus, int parentCpu)
    {
        var sim = new SimMachine(cpus);
        int parent = sim.Spawn("parent");
        VirtAddr a = sim.Mmap(parent, parentCpu, 1);
        sim.Write(parent, parentCpu, a, 0x41);
        Pfn frame = sim.PteOf(parent, a).Pfn;
        int child = (int)sim.Sys(parent, parentCpu, new ForkCall());
        Assert.True(child > parent);
        return (sim, parent, child, a, frame);
    }

    [Theory]
    [MemberData(nameof(CpuCounts))]
    public void ForkWriteProtectsBothSidesAndSharesTheFrame(int cpus)
    {
        int pc = cpus - 1;
        (SimMachine sim, int parent, int child, VirtAddr a, Pfn frame) = Forked(cpus, pc);
        using (sim)
        {
            Pte p = sim.PteOf(parent, a);
            Pte c = sim.PteOf(child, a);
            Assert.True(p.IsPresent && !p.IsWrite && c.IsPresent && !c.IsWrite);
            Assert.Equal(frame, p.Pfn);
            Assert.Equal(frame, c.Pfn);
            Assert.Equal((2, 2), (sim.State.Frames.PageRefCount(frame), sim.State.Frames.PageMapCount(frame)));
            Assert.Equal(sim.Vmas(parent), sim.Vmas(child));
            Assert.Equal(0, sim.MinFlt(child));
            Assert.Equal(parent, sim.State.Task(child).ParentPid);
            Assert.Equal(0x41, sim.Read(child, 0, a)); // reading shares: no copy, no fault
            Assert.Equal(frame, sim.PteOf(child, a).Pfn);
            Assert.Equal(0, sim.MinFlt(child));
            sim.AssertTlbCoherent();
        }
    }

    [Theory]
    [MemberData(nameof(CpuCounts))]
    public void ChildWriteCopiesThePageAndTheParentKeepsTheOldValueAndFrame(int cpus)
    {
        int pc = cpus - 1;
        (SimMachine sim, int parent, int child, VirtAddr a, Pfn frame) = Forked(cpus, pc);
        using (sim)
        {
            sim.Write(child, 0, a, 0x42);

            Pte c = sim.PteOf(child, a);
            Assert.NotEqual(frame, c.Pfn);
            Assert.True(c.IsWrite && c.IsDirty);
            Assert.Equal(1, sim.MinFlt(child));
            Assert.Equal(0x42, sim.Read(child, 0, a));
            Assert.Equal(0x41, sim.Read(parent, pc, a));
            Assert.Equal(frame, sim.PteOf(parent, a).Pfn);
            Assert.Equal((1, 1), (sim.State.Frames.PageRefCount(frame), sim.State.Frames.PageMapCount(frame)));
            Assert.Equal((1, 1), (sim.State.Frames.PageRefCount(c.Pfn), sim.State.Frames.PageMapCount(c.Pfn)));
            Assert.False(sim.PteOf(parent, a).IsWrite); // the parent's PTE stays write-protected until it writes

            long parentFaults = sim.MinFlt(parent);
            sim.Write(parent, pc, a, 0x43); // now exclusive: reused in place
            Assert.Equal(frame, sim.PteOf(parent, a).Pfn);
            Assert.Equal(parentFaults + 1, sim.MinFlt(parent));
            sim.AssertTlbCoherent();
        }
    }

    [Theory]
    [MemberData(nameof(CpuCounts))]
    public void ParentWriteCopiesThePageAndTheChildKeepsTheOldValueAndFrame(int cpus)
    {
        int pc = cpus - 1;
        (SimMachine sim, int parent, int child, VirtAddr a, Pfn frame) = Forked(cpus, pc);
        using (sim)
        {
            long parentFaults = sim.MinFlt(parent);
            sim.Write(parent, pc, a, 0x42);

            Pte p = sim.PteOf(parent, a);
            Assert.NotEqual(frame, p.Pfn);
            Assert.Equal(parentFaults + 1, sim.MinFlt(parent));
            Assert.Equal(0x42, sim.Read(parent, pc, a));
            Assert.Equal(0x41, sim.Read(child, 0, a));
            Assert.Equal(frame, sim.PteOf(child, a).Pfn);
            Assert.Equal((1, 1), (sim.State.Frames.PageRefCount(frame), sim.State.Frames.PageMapCount(frame)));
            sim.AssertTlbCoherent();
        }
    }

    [Theory]
    [MemberData(nameof(CpuCounts))]
    public void AfterTheChildExitsTheParentReusesItsFrameWithOneFault(int cpus)
    {
        int pc = cpus - 1;
        (SimMachine sim, int parent, int child, VirtAddr a, Pfn frame) = Forked(cpus, pc);
        using (sim)
        {
            int allocated = sim.State.Frames.AllocatedCount;
            sim.Exit(child, 0);
            Assert.True(sim.State.Frames.AllocatedCount < allocated); // the child's page tables went
            Assert.Equal((1, 1), (sim.State.Frames.PageRefCount(frame), sim.State.Frames.PageMapCount(frame)));
            long faults = sim.MinFlt(parent);

            sim.Write(parent, pc, a, 0x42);

            Pte p = sim.PteOf(parent, a);
            Assert.Equal(frame, p.Pfn);
            Assert.True(p.IsWrite);
            Assert.Equal(faults + 1, sim.MinFlt(parent));
            Assert.Equal(0x42, sim.Read(parent, pc, a));
            Assert.Equal(faults + 1, sim.MinFlt(parent));
        }
    }

    [Theory]
    [MemberData(nameof(CpuCounts))]
    public void ZeroPageStaysSharedAndAChildWriteGetsAPageOfItsOwn(int cpus)
    {
        using var sim = new SimMachine(cpus);
        int pc = cpus - 1;
        int parent = sim.Spawn();
        VirtAddr a = sim.Mmap(parent, pc, 2);
        Assert.Equal(0, sim.Read(parent, pc, a));
        sim.Write(parent, pc, a + Page, 0); // give the VMA an anon_vma so that fork copies its PTEs
        int child = (int)sim.Sys(parent, pc, new ForkCall());

        sim.Write(child, 0, a, 0x41);

        Assert.Equal(FrameAllocator.ZeroPfn, sim.PteOf(parent, a).Pfn);
        Assert.NotEqual(FrameAllocator.ZeroPfn, sim.PteOf(child, a).Pfn);
        Assert.Equal(0, sim.Read(parent, pc, a));
        Assert.Equal(0x41, sim.Read(child, 0, a));
    }

    [Theory]
    [MemberData(nameof(CpuCounts))]
    public void SharedMappingStaysSharedAfterFork(int cpus)
    {
        using var sim = new SimMachine(cpus);
        int pc = cpus - 1;
        int parent = sim.Spawn();
        VirtAddr a = sim.Mmap(parent, pc, 1, flags: MapFlags.Shared | MapFlags.Anonymous);
        int child = (int)sim.Sys(parent, pc, new ForkCall());
        Assert.True(sim.PteOf(child, a).IsNone); // shared mappings are not copied: the child faults them in

        sim.Write(child, 0, a, 0x5a);
        Assert.Equal(0x5a, sim.Read(parent, pc, a));
        sim.Write(parent, pc, a + 1, 0x5b);

        Assert.Equal(0x5b, sim.Read(child, 0, a + 1));
        Pfn frame = sim.PteOf(child, a).Pfn;
        Assert.Equal(frame, sim.PteOf(parent, a).Pfn);
        Assert.True(sim.PteOf(parent, a).IsWrite && sim.PteOf(child, a).IsWrite);
        Assert.Equal((1, 1), (sim.MinFlt(parent), sim.MinFlt(child)));
        Assert.Equal((3, 2), (sim.State.Frames.PageRefCount(frame), sim.State.Frames.PageMapCount(frame)));

        sim.Exit(child, 0);
        Assert.Equal(0x5a, sim.Read(parent, pc, a)); // the parent still maps the inode: it keeps its pages
        sim.Exit(parent, pc);
        sim.AssertAllFreed();
        Assert.Equal(0, sim.State.PageCache.Count);
    }

    [Theory]
    [MemberData(nameof(CpuCounts))]
    public void ForkFailsWithEnomemWhenTheChildsPageTablesDoNotFitAndLeavesNothingBehind(int cpus)
    {
        // 13 frames: 11 usable. The parent takes 7 (PGD, PUD, PMD, two PTE pages, two pages); the
        // child gets its PGD and the tables for the first PTE page, and then memory runs out.
        using var sim = new SimMachine(cpus, frames: 13);
        int pc = cpus - 1;
        int parent = sim.Spawn();
        const MapFlags fixedAnon = MapFlags.Private | MapFlags.Anonymous | MapFlags.Fixed;
        VirtAddr a = sim.Mmap(parent, pc, 1, addr: 0x7f0000000000, flags: fixedAnon);
        VirtAddr b = sim.Mmap(parent, pc, 1, addr: 0x7f0000200000, flags: fixedAnon);
        sim.Write(parent, pc, a, 0x41);
        sim.Write(parent, pc, b, 0x42);
        Pfn frame = sim.PteOf(parent, a).Pfn;
        Assert.Equal(4, sim.State.Frames.FreeCount);

        Assert.Equal(-12, sim.Sys(parent, pc, new ForkCall()));

        Assert.Equal(4, sim.State.Frames.FreeCount); // the child's mm went away whole
        Assert.Equal((1, 1), (sim.State.Frames.PageRefCount(frame), sim.State.Frames.PageMapCount(frame)));
        TaskStruct child = Assert.Single(sim.State.Tasks, t => t.Pid != parent);
        Assert.True(child.Exited && child.Mm is null);
        long faults = sim.MinFlt(parent);
        sim.Write(parent, pc, a, 0x43); // write-protected by the failed fork: one fault, the page is reused
        Assert.Equal(frame, sim.PteOf(parent, a).Pfn);
        Assert.Equal(faults + 1, sim.MinFlt(parent));
        Assert.Equal(0x42, sim.Read(parent, pc, b));
        sim.Exit(parent, pc);
        sim.AssertAllFreed();
    }

    [Theory]
    [MemberData(nameof(CpuCounts))]
    public void ForkOfAForkCopiesOnWriteAcrossThreeGenerations(int cpus)
    {
        int pc = cpus - 1;
        (SimMachine sim, int parent, int child, VirtAddr a, Pfn frame) = Forked(cpus, pc);
        using (sim)
        {
            int grandchild = (int)sim.Sys(child, 0, new ForkCall());
            Assert.Equal((3, 3), (sim.State.Frames.PageRefCount(frame), sim.State.Frames.PageMapCount(frame)));

            sim.Write(grandchild, cpus > 2 ? 2 : 0, a, 0x47);
            sim.Write(child, 0, a, 0x46);

            Assert.Equal(0x41, sim.Read(parent, pc, a));
            Assert.Equal(frame, sim.PteOf(parent, a).Pfn); // the last sharer is left with the original
            Assert.Equal(0x46, sim.Read(child, 0, a));
            Assert.Equal(0x47, sim.Read(grandchild, cpus > 2 ? 2 : 0, a));
            Assert.Equal(3, new[] { parent, child, grandchild }.Select(p => sim.PteOf(p, a).Pfn).Distinct().Count());

            sim.Exit(grandchild, cpus > 2 ? 2 : 0);
            sim.Exit(child, 0);
            sim.Exit(parent, pc);
            sim.AssertAllFreed();
        }
    }
}
