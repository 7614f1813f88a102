using ShadowPt.Kernel;
using ShadowPt.Tests.TestKit;

namespace ShadowPt.Tests.Kernel.Syscalls;

/// <summary>mmap and munmap as a process issues them to its CPU, on 1 and 4 CPUs.</summary>
public sealed class MmapSyscallTests
{
    private const ulong Page = SimMachine.Page;

    /// <summary>mmap_base with ASLR off: the first top-down mapping ends here.</summary>
    private const ulong MmapBase = 0x7ffff7fff000;

    private const MapFlags PrivateAnon = MapFlags.Private | MapFlags.Anonymous;

    private const MapFlags SharedAnon = MapFlags.Shared | MapFlags.Anonymous;

    public static TheoryData<int> CpuCounts() => new(1, 4);

    [Theory]
    [MemberData(nameof(CpuCounts))]
    public void PrivateAnonymousMappingIsPlacedTopDownAndFaultedInOnFirstTouch(int cpus)
    {
        using var sim = new SimMachine(cpus);
        int cpu = cpus - 1;
        int pid = sim.Spawn();
        int framesBefore = sim.State.Frames.AllocatedCount;

        VirtAddr a = sim.Mmap(pid, cpu, 2);

        Assert.Equal(MmapBase - (2 * Page), a.Value);
        VmArea vma = Assert.Single(sim.MmOf(pid).Vmas.All, v => v.VmStart == a);
        Assert.Equal(a + (2 * Page), vma.VmEnd);
        Assert.Equal(VmFlags.Read | VmFlags.Write | VmFlags.MayRead | VmFlags.MayWrite | VmFlags.MayExec | VmFlags.Account, vma.VmFlags);
        Assert.True(sim.PteOf(pid, a).IsNone);
        Assert.Equal(framesBefore, sim.State.Frames.AllocatedCount); // nothing is allocated before a touch

        sim.Write(pid, cpu, a + 5, 0x41);

        Pte pte = sim.PteOf(pid, a);
        Assert.True(pte.IsPresent && pte.IsWrite && pte.IsDirty);
        Assert.Equal(FrameKind.Anon, sim.State.Frames.Kind(pte.Pfn));
        Assert.Equal((1, 1), (sim.State.Frames.PageRefCount(pte.Pfn), sim.State.Frames.PageMapCount(pte.Pfn)));
        Assert.Equal(0x41, sim.Read(pid, cpu, a + 5));
        Assert.Equal(0, sim.Read(pid, cpu, a + 6));
        Assert.Equal(1, sim.MinFlt(pid));
        Assert.True(sim.TlbHas(cpu, sim.MmOf(pid).Id, a));
        sim.AssertTlbCoherent();
    }

    [Theory]
    [MemberData(nameof(CpuCounts))]
    public void SharedAnonymousMappingIsShmemInThePageCache(int cpus)
    {
        using var sim = new SimMachine(cpus);
        int cpu = cpus - 1;
        int pid = sim.Spawn();

        VirtAddr a = sim.Mmap(pid, cpu, 1, flags: SharedAnon);
        sim.Write(pid, cpu, a, 0x5a);

        VmArea vma = Assert.Single(sim.MmOf(pid).Vmas.All, v => v.VmStart == a);
        Assert.Equal(VmFlags.Shared | VmFlags.MayShare, vma.VmFlags & (VmFlags.Shared | VmFlags.MayShare));
        Assert.True(vma.VmFile is { IsShmem: true });
        Pte pte = sim.PteOf(pid, a);
        Assert.Equal(FrameKind.PageCache, sim.State.Frames.Kind(pte.Pfn));
        Assert.Equal(pte.Pfn, Assert.Single(sim.State.PageCache.Pages));
        Assert.Equal((2, 1), (sim.State.Frames.PageRefCount(pte.Pfn), sim.State.Frames.PageMapCount(pte.Pfn))); // cache + mapping

        Assert.Equal(0, sim.Sys(pid, cpu, new MunmapCall(a, Page)));

        Assert.Equal(0, sim.State.PageCache.Count); // the last mapping of the inode is gone: shmem is released
        Assert.False(sim.State.Frames.IsAllocated(pte.Pfn));
    }

    [Theory]
    [MemberData(nameof(CpuCounts))]
    public void MapFixedReplacesTheOldPagesAndFreesThem(int cpus)
    {
        using var sim = new SimMachine(cpus);
        int cpu = cpus - 1;
        int pid = sim.Spawn();
        VirtAddr a = sim.Mmap(pid, cpu, 3);
        for (int i = 0; i < 3; i++)
        {
            sim.Write(pid, cpu, a + ((ulong)i * Page), (byte)(0x11 * (i + 1)));
        }

        Pfn middle = sim.PteOf(pid, a + Page).Pfn;
        int allocated = sim.State.Frames.AllocatedCount;

        long ret = sim.Sys(pid, cpu, new MmapCall(a + Page, Page, Prot.Read | Prot.Write, PrivateAnon | MapFlags.Fixed));

        Assert.Equal((long)(a + Page).Value, ret);
        Assert.Contains((a.Value, a.Value + (3 * Page)), sim.Vmas(pid)); // vma_merge_new_range merges all three again
        Assert.False(sim.State.Frames.IsAllocated(middle));
        Assert.Equal(allocated - 1, sim.State.Frames.AllocatedCount);
        Assert.True(sim.PteOf(pid, a + Page).IsNone);
        Assert.False(sim.TlbHas(cpu, sim.MmOf(pid).Id, a + Page));
        Assert.Equal(0x11, sim.Read(pid, cpu, a));
        Assert.Equal(0, sim.Read(pid, cpu, a + Page)); // a fresh mapping: the zero page
        Assert.Equal(FrameAllocator.ZeroPfn, sim.PteOf(pid, a + Page).Pfn);
        Assert.Equal(0x33, sim.Read(pid, cpu, a + (2 * Page)));
        sim.AssertTlbCoherent();
    }

    [Theory]
    [InlineData(0UL, 0UL, MapFlags.Private | MapFlags.Anonymous, -22)] // length 0
    [InlineData(0x7f0000000001UL, 0x1000UL, MapFlags.Private | MapFlags.Anonymous | MapFlags.Fixed, -22)] // MAP_FIXED unaligned
    [InlineData(0UL, 0x1000UL, MapFlags.Anonymous, -22)] // neither private nor shared
    [InlineData(0UL, 0x1000UL, MapFlags.Private, -22)] // not anonymous: file mappings are not a user call here
    [InlineData(0UL, ulong.MaxValue, MapFlags.Private | MapFlags.Anonymous, -12)] // PAGE_ALIGN overflows
    [InlineData(0UL, 0x800000000000UL, MapFlags.Private | MapFlags.Anonymous, -12)] // larger than TASK_SIZE
    [InlineData(0x7ffffffff000UL, 0x2000UL, MapFlags.Private | MapFlags.Anonymous | MapFlags.Fixed, -12)] // beyond TASK_SIZE
    public void MmapRefusesBadArguments(ulong addr, ulong length, MapFlags flags, long expected)
    {
        foreach (int cpus in new[] { 1, 4 })
        {
            using var sim = new SimMachine(cpus);
            int pid = sim.Spawn();
            (ulong, ulong)[] before = sim.Vmas(pid);

            long ret = sim.Sys(pid, cpus - 1, new MmapCall(new VirtAddr(addr), length, Prot.Read | Prot.Write, flags));

            Assert.Equal(expected, ret);
            Assert.Equal(before, sim.Vmas(pid));
        }
    }

    [Theory]
    [MemberData(nameof(CpuCounts))]
    public void MunmapOfTheMiddleSplitsTheVmaAndFreesOnlyThatPage(int cpus)
    {
        using var sim = new SimMachine(cpus);
        int cpu = cpus - 1;
        int pid = sim.Spawn();
        sim.CatchSigsegv(pid, cpu);
        VirtAddr a = sim.Mmap(pid, cpu, 3);
        for (int i = 0; i < 3; i++)
        {
            sim.Write(pid, cpu, a + ((ulong)i * Page), (byte)(0x41 + i));
        }

        Pfn[] frames = Enumerable.Range(0, 3).Select(i => sim.PteOf(pid, a + ((ulong)i * Page)).Pfn).ToArray();

        Assert.Equal(0, sim.Sys(pid, cpu, new MunmapCall(a + Page, Page)));

        Assert.Equal(
            [(a.Value, a.Value + Page), (a.Value + (2 * Page), a.Value + (3 * Page))],
            sim.Vmas(pid).Where(v => v.Start >= a.Value && v.End <= a.Value + (3 * Page)));
        Assert.True(sim.State.Frames.IsAllocated(frames[0]));
        Assert.False(sim.State.Frames.IsAllocated(frames[1]));
        Assert.True(sim.State.Frames.IsAllocated(frames[2]));
        long faults = sim.MinFlt(pid);
        UserResult hole = sim.Access(pid, cpu, a + Page, false);
        Assert.True(hole.Segv && !hole.Killed);
        Assert.Equal(faults, sim.MinFlt(pid)); // a bad area is not a counted fault
        Assert.Equal(0x41, sim.Read(pid, cpu, a));
        Assert.Equal(0x43, sim.Read(pid, cpu, a + (2 * Page)));
        Assert.Equal(1, sim.State.Task(pid).SigsegvCount);
        sim.AssertTlbCoherent();
    }

    [Theory]
    [MemberData(nameof(CpuCounts))]
    public void MunmapOfAZeroPageMappingFlushesItsTranslationEverywhere(int cpus)
    {
        // Nothing is freed (the zero page) and the PTE page stays (the other page keeps it), but a
        // PTE was cleared: tlb_finish_mmu must still flush (zap_pte_range → tlb_remove_tlb_entry).
        using var sim = new SimMachine(cpus);
        int cpu = cpus - 1;
        int pid = sim.Spawn();
        sim.CatchSigsegv(pid, cpu);
        int thread = sim.SpawnThread(pid);
        VirtAddr a = sim.Mmap(pid, cpu, 2);
        Assert.Equal(0, sim.Read(pid, cpu, a));
        if (cpus > 1)
        {
            Assert.Equal(0, sim.Read(thread, 0, a));
        }

        Assert.Equal(0, sim.Sys(pid, cpu, new MunmapCall(a, Page)));

        MmId mm = sim.MmOf(pid).Id;
        Assert.False(sim.TlbHas(cpu, mm, a));
        Assert.False(sim.TlbHas(0, mm, a));
        sim.AssertTlbCoherent();
        Assert.True(sim.Access(pid, cpu, a, false).Segv);
        if (cpus > 1)
        {
            Assert.True(sim.Access(thread, 0, a, false).Segv);
        }
    }

    [Theory]
    [MemberData(nameof(CpuCounts))]
    public void MunmapOfTheHeadKeepsTheTail(int cpus)
    {
        using var sim = new SimMachine(cpus);
        int cpu = cpus - 1;
        int pid = sim.Spawn();
        VirtAddr a = sim.Mmap(pid, cpu, 4);
        sim.Write(pid, cpu, a, 1);
        sim.Write(pid, cpu, a + (3 * Page), 4);

        Assert.Equal(0, sim.Sys(pid, cpu, new MunmapCall(a, 2 * Page)));

        Assert.Contains((a.Value + (2 * Page), a.Value + (4 * Page)), sim.Vmas(pid));
        Assert.DoesNotContain(sim.Vmas(pid), v => v.Start < a.Value + (2 * Page) && v.End > a.Value);
        Assert.Equal(4, sim.Read(pid, cpu, a + (3 * Page)));
        Assert.Equal(0, sim.Sys(pid, cpu, new MunmapCall(a, 2 * Page))); // unmapping a hole is not an error
    }

    [Theory]
    [InlineData(0x7f0000000001UL, 0x1000UL)] // unaligned start
    [InlineData(0x7f0000000000UL, 0UL)] // zero length
    [InlineData(0x7ffffffff000UL, 0x2000UL)] // beyond TASK_SIZE
    public void MunmapRefusesBadArgumentsWithEinval(ulong addr, ulong length)
    {
        foreach (int cpus in new[] { 1, 4 })
        {
            using var sim = new SimMachine(cpus);
            int pid = sim.Spawn();

            Assert.Equal(-22, sim.Sys(pid, cpus - 1, new MunmapCall(new VirtAddr(addr), length)));
        }
    }
}
