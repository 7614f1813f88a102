using ShadowPt.Kernel;
using ShadowPt.Tests.TestKit;

namespace ShadowPt.Tests.Kernel.Syscalls;

/// <summary>brk, madvise(MADV_DONTNEED), mlock and mlockall as a process issues them, on 1 and 4 CPUs.</summary>
public sealed class HeapAndAdviceSyscallTests
{
    private const ulong Page = SimMachine.Page;

    /// <summary>start_brk of a process the machine creates.</summary>
    private const ulong StartBrk = 0x555555559000;

    public static TheoryData<int> CpuCounts() => new(1, 4);

    [Theory]
    [MemberData(nameof(CpuCounts))]
    public void BrkGrowsTheHeapAndShrinkingFreesThePagesAbove(int cpus)
    {
        using var sim = new SimMachine(cpus);
        int cpu = cpus - 1;
        int pid = sim.Spawn();
        sim.CatchSigsegv(pid, cpu);
        var heap = new VirtAddr(StartBrk);

        Assert.Equal((long)StartBrk, sim.Sys(pid, cpu, new BrkCall(VirtAddr.Zero))); // brk(0) asks for the break
        Assert.Equal((long)StartBrk + (3 * (long)Page) + 100, sim.Sys(pid, cpu, new BrkCall(heap + (3 * Page) + 100)));

        Assert.Contains((StartBrk, StartBrk + (4 * Page)), sim.Vmas(pid));
        sim.Write(pid, cpu, heap, 0x41);
        sim.Write(pid, cpu, heap + (3 * Page) + 99, 0x44);
        Pfn top = sim.PteOf(pid, heap + (3 * Page)).Pfn;

        Assert.Equal((long)StartBrk + (long)Page, sim.Sys(pid, cpu, new BrkCall(heap + Page)));

        Assert.Contains((StartBrk, StartBrk + Page), sim.Vmas(pid));
        Assert.False(sim.State.Frames.IsAllocated(top));
        Assert.True(sim.Access(pid, cpu, heap + (3 * Page), false).Segv);
        Assert.Equal(0x41, sim.Read(pid, cpu, heap));
        Assert.Equal((long)StartBrk + (long)Page, sim.Sys(pid, cpu, new BrkCall(new VirtAddr(StartBrk - Page)))); // below start_brk: refused
        sim.AssertTlbCoherent();
    }

    [Theory]
    [MemberData(nameof(CpuCounts))]
    public void DontneedZapsThePageAndTheNextReadSeesZeroes(int cpus)
    {
        using var sim = new SimMachine(cpus);
        int cpu = cpus - 1;
        int pid = sim.Spawn();
        VirtAddr a = sim.Mmap(pid, cpu, 2);
        sim.Write(pid, cpu, a, 0x41);
        sim.Write(pid, cpu, a + Page, 0x42);
        Pfn frame = sim.PteOf(pid, a).Pfn;
        int allocated = sim.State.Frames.AllocatedCount;

        Assert.Equal(0, sim.Sys(pid, cpu, new MadviseDontneedCall(a, Page)));

        Assert.True(sim.PteOf(pid, a).IsNone);
        Assert.False(sim.State.Frames.IsAllocated(frame));
        Assert.Equal(allocated - 1, sim.State.Frames.AllocatedCount);
        Assert.False(sim.TlbHas(cpu, sim.MmOf(pid).Id, a));
        Assert.Contains((a.Value, a.Value + (2 * Page)), sim.Vmas(pid)); // the VMA stays
        long faults = sim.MinFlt(pid);
        Assert.Equal(0, sim.Read(pid, cpu, a));
        Assert.Equal(faults + 1, sim.MinFlt(pid));
        Assert.Equal(FrameAllocator.ZeroPfn, sim.PteOf(pid, a).Pfn);
        Assert.Equal(0x42, sim.Read(pid, cpu, a + Page));
        Assert.Equal(-12, sim.Sys(pid, cpu, new MadviseDontneedCall(new VirtAddr(0x10000), Page))); // unmapped: ENOMEM
        sim.AssertTlbCoherent();
    }

    [Theory]
    [MemberData(nameof(CpuCounts))]
    public void MlockPopulatesWithWriteFaultsAndLaterAccessesDoNotFault(int cpus)
    {
        using var sim = new SimMachine(cpus);
        int cpu = cpus - 1;
        int pid = sim.Spawn();
        VirtAddr a = sim.Mmap(pid, cpu, 3);
        VirtAddr ro = sim.Mmap(pid, cpu, 1, Prot.Read);

        Assert.Equal(0, sim.Sys(pid, cpu, new MlockCall(a, 3 * Page, Lock: true)));
        Assert.Equal(0, sim.Sys(pid, cpu, new MlockCall(ro, Page, Lock: true)));

        Assert.Equal(4, sim.MinFlt(pid));
        for (int i = 0; i < 3; i++)
        {
            Pte pte = sim.PteOf(pid, a + ((ulong)i * Page));
            Assert.True(pte.IsPresent && pte.IsWrite, $"page {i}: {pte}");
            Assert.Equal(FrameKind.Anon, sim.State.Frames.Kind(pte.Pfn));
        }

        Assert.Equal(FrameAllocator.ZeroPfn, sim.PteOf(pid, ro).Pfn); // read-only private: populated by a read fault
        Assert.All(sim.MmOf(pid).Vmas.All.Where(v => v.VmStart == a || v.VmStart == ro), v => Assert.True((v.VmFlags & VmFlags.Locked) != 0));
        sim.Write(pid, cpu, a + Page, 7);
        Assert.Equal(0, sim.Read(pid, cpu, a + (2 * Page)));
        Assert.Equal(4, sim.MinFlt(pid));

        Assert.Equal(0, sim.Sys(pid, cpu, new MlockCall(a, 3 * Page, Lock: false)));
        Assert.All(sim.MmOf(pid).Vmas.All.Where(v => v.VmStart == a), v => Assert.Equal(VmFlags.None, v.VmFlags & VmFlags.Locked));
        Assert.True(sim.PteOf(pid, a).IsPresent); // munlock keeps the pages
    }

    [Theory]
    [MemberData(nameof(CpuCounts))]
    public void MlockallCurrentAndFuturePopulatesNowAndEveryLaterMapping(int cpus)
    {
        using var sim = new SimMachine(cpus);
        int cpu = cpus - 1;
        int pid = sim.Spawn();
        VirtAddr before = sim.Mmap(pid, cpu, 2);

        Assert.Equal(0, sim.Sys(pid, cpu, new MlockallCall(MlockallFlags.Current | MlockallFlags.Future)));

        Assert.True(sim.PteOf(pid, before).IsWrite && sim.PteOf(pid, before + Page).IsWrite);
        VmArea stack = sim.MmOf(pid).Vmas.All[^1];
        Assert.True((stack.VmFlags & VmFlags.Locked) != 0);
        Assert.True(sim.PteOf(pid, stack.VmStart).IsPresent); // the stack was populated too

        long faults = sim.MinFlt(pid);
        VirtAddr after = sim.Mmap(pid, cpu, 2);
        Assert.Equal(faults + 2, sim.MinFlt(pid));
        Assert.True(sim.PteOf(pid, after).IsWrite && sim.PteOf(pid, after + Page).IsWrite);
        Assert.Equal((long)StartBrk + (long)Page, sim.Sys(pid, cpu, new BrkCall(new VirtAddr(StartBrk + Page))));
        Assert.True(sim.PteOf(pid, new VirtAddr(StartBrk)).IsWrite); // brk grows locked and populated
        Assert.Equal(-22, sim.Sys(pid, cpu, new MlockallCall(MlockallFlags.OnFault)));
        Assert.Equal(0, sim.Sys(pid, cpu, new MlockallCall(MlockallFlags.None))); // munlockall
        Assert.All(sim.MmOf(pid).Vmas.All, v => Assert.Equal(VmFlags.None, v.VmFlags & VmFlags.Locked));
    }

    [Theory]
    [MemberData(nameof(CpuCounts))]
    public void MlockallFutureIsNotInheritedByAForkedChild(int cpus)
    {
        // kernel/fork.c mm_init: mm->def_flags = current->mm->def_flags & VM_INIT_DEF_MASK, so a
        // child's new mappings are not locked (mlockall(2): "not inherited by a child created via fork").
        using var sim = new SimMachine(cpus);
        int cpu = cpus - 1;
        int pid = sim.Spawn();
        Assert.Equal(0, sim.Sys(pid, cpu, new MlockallCall(MlockallFlags.Future)));
        int child = (int)sim.Sys(pid, cpu, new ForkCall());

        VirtAddr a = sim.Mmap(child, 0, 1);

        Assert.Equal(VmFlags.None, sim.MmOf(child).DefFlags & VmFlags.Locked);
        Assert.Equal(VmFlags.None, Assert.Single(sim.MmOf(child).Vmas.All, v => v.VmStart == a).VmFlags & VmFlags.Locked);
        Assert.True(sim.PteOf(child, a).IsNone);
        Assert.Equal(VmFlags.Locked, sim.MmOf(pid).DefFlags & VmFlags.Locked);
    }
}
