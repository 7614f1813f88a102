using ShadowPt.Kernel;
using ShadowPt.Tests.TestKit;

namespace ShadowPt.Tests.Kernel.Syscalls;

/// <summary>execve, exit and what a task that exited may still ask, on 1 and 4 CPUs.</summary>
public sealed class ExecveExitTests
{
    private const ulong Page = SimMachine.Page;

    /// <summary>STACK_TOP with ASLR off, and the initial stack of 33 pages below it.</summary>
    private const ulong StackTop = 0x7ffffffff000;

    private const ulong StackStart = StackTop - (33 * Page);

    public static TheoryData<int> CpuCounts() => new(1, 4);

    [Theory]
    [MemberData(nameof(CpuCounts))]
    public void ExecveTearsDownTheOldMmAndStartsWithJustAStack(int cpus)
    {
        using var sim = new SimMachine(cpus);
        int cpu = cpus - 1;
        int pid = sim.Spawn();
        sim.CatchSigsegv(pid, cpu);
        VirtAddr a = sim.Mmap(pid, cpu, 4);
        for (int i = 0; i < 4; i++)
        {
            sim.Write(pid, cpu, a + ((ulong)i * Page), 1);
        }

        MmStruct old = sim.MmOf(pid);
        int allocatedBefore = sim.State.Frames.AllocatedCount;

        Assert.Equal(0, sim.Sys(pid, cpu, new ExecveCall("next")));

        MmStruct mm = sim.MmOf(pid);
        Assert.NotEqual(old.Id, mm.Id);
        Assert.True(old.IsDead && old.Pgd.IsFreed);
        Assert.Equal(0, old.Vmas.Count);
        Assert.False(old.MmCpumask.Test(new CpuId(cpu)));
        Assert.True(mm.MmCpumask.Test(new CpuId(cpu)));
        Assert.Equal("next", sim.State.Task(pid).Comm);
        Assert.Equal([(StackStart, StackTop)], sim.Vmas(pid));
        Assert.Equal(1, sim.State.Frames.AllocatedCount); // the new PGD: the old pages and tables are all free
        Assert.True(allocatedBefore > 4);
        Assert.Equal(0, sim.Cpu(cpu).Tlb.Entries().Count(e => e.Mm == old.Id));
        Assert.Equal(0, mm.MinFlt);

        Assert.True(sim.Access(pid, cpu, a, false).Segv); // the old mapping is gone
        sim.Write(pid, cpu, new VirtAddr(StackTop - 8), 0x41);
        Assert.Equal(0x41, sim.Read(pid, cpu, new VirtAddr(StackTop - 8)));
        Assert.Equal(1, mm.MinFlt);
        sim.Exit(pid, cpu);
        sim.AssertAllFreed();
    }

    [Theory]
    [MemberData(nameof(CpuCounts))]
    public void StackGrowsDownOnAnAccessBelowIt(int cpus)
    {
        using var sim = new SimMachine(cpus);
        int cpu = cpus - 1;
        int pid = sim.Spawn();

        sim.Write(pid, cpu, new VirtAddr(StackStart - (4 * Page) + 16), 0x41);

        Assert.Equal([(StackStart - (4 * Page), StackTop)], sim.Vmas(pid));
        Assert.Equal(1, sim.MinFlt(pid));
        Assert.Equal(0x41, sim.Read(pid, cpu, new VirtAddr(StackStart - (4 * Page) + 16)));
        Assert.Equal(0, sim.Read(pid, cpu, new VirtAddr(StackStart - Page)));
        Assert.Equal(2, sim.MinFlt(pid));
        Assert.True(sim.PteOf(pid, new VirtAddr(StackStart - (2 * Page))).IsNone); // only touched pages are mapped
    }

    [Theory]
    [MemberData(nameof(CpuCounts))]
    public void GrowsDownMappingExpandsButNotIntoTheGuardGapOfTheMappingBelow(int cpus)
    {
        using var sim = new SimMachine(cpus);
        int cpu = cpus - 1;
        int pid = sim.Spawn();
        sim.CatchSigsegv(pid, cpu);
        VirtAddr below = sim.Mmap(pid, cpu, 1, addr: 0x7f0000000000, flags: MapFlags.Private | MapFlags.Anonymous | MapFlags.Fixed);
        VirtAddr s = sim.Mmap(pid, cpu, 2, addr: 0x7f0000000000 + (300 * Page), flags: MapFlags.Private | MapFlags.Anonymous | MapFlags.Fixed | MapFlags.GrowsDown);

        sim.Write(pid, cpu, s - Page, 0x41); // one page below: grows

        Assert.Contains((s.Value - Page, s.Value + (2 * Page)), sim.Vmas(pid));
        UserResult intoGap = sim.Access(pid, cpu, below + (100 * Page), true, 1); // within stack_guard_gap (256 pages) of the VMA below
        Assert.True(intoGap.Segv);
        Assert.Contains((s.Value - Page, s.Value + (2 * Page)), sim.Vmas(pid));
        Assert.Contains((below.Value, below.Value + Page), sim.Vmas(pid));
    }

    [Theory]
    [MemberData(nameof(CpuCounts))]
    public void ExitFreesEveryFrameAndLeavesNoLockOrMm(int cpus)
    {
        using var sim = new SimMachine(cpus);
        int cpu = cpus - 1;
        int pid = sim.Spawn();
        VirtAddr a = sim.Mmap(pid, cpu, 8);
        VirtAddr shared = sim.Mmap(pid, cpu, 2, flags: MapFlags.Shared | MapFlags.Anonymous);
        VirtAddr far = sim.Mmap(pid, cpu, 1, addr: 0x100000000, flags: MapFlags.Private | MapFlags.Anonymous | MapFlags.Fixed);
        for (int i = 0; i < 8; i++)
        {
            sim.Write(pid, cpu, a + ((ulong)i * Page), (byte)i);
        }

        sim.Write(pid, cpu, shared, 1);
        sim.Write(pid, cpu, far, 1);
        sim.Write(pid, cpu, new VirtAddr(StackTop - 8), 1);
        Assert.Equal(0x555555559000 + (long)Page, sim.Sys(pid, cpu, new BrkCall(new VirtAddr(0x555555559000 + Page))));
        sim.Write(pid, cpu, new VirtAddr(0x555555559000), 1);

        Assert.Equal(7, sim.Exit(pid, cpu, 7));

        TaskStruct task = sim.State.Task(pid);
        Assert.True(task.Exited);
        Assert.Equal(7, task.ExitCode);
        sim.AssertAllFreed();
        Assert.Equal(0, sim.State.Frames.AllocatedCount);
    }

    [Theory]
    [MemberData(nameof(CpuCounts))]
    public void AnExitedTaskCannotTouchMemoryOrCallTheKernel(int cpus)
    {
        using var sim = new SimMachine(cpus);
        int cpu = cpus - 1;
        int pid = sim.Spawn();
        VirtAddr a = sim.Mmap(pid, cpu, 1);
        sim.Write(pid, cpu, a, 0x41);
        Pfn frame = sim.PteOf(pid, a).Pfn;
        sim.Exit(pid, cpu, 3);
        Assert.False(sim.State.Frames.IsAllocated(frame));
        int generation = sim.State.Frames.Generation(frame);

        for (int c = 0; c < cpus; c++)
        {
            UserResult read = sim.Access(pid, c, a, false);
            UserResult write = sim.Access(pid, c, a, true, 0x42);
            UserResult mmap = sim.Do(pid, c, new SyscallOp(new MmapCall(VirtAddr.Zero, Page, Prot.Read, MapFlags.Private | MapFlags.Anonymous)));
            UserResult exit = sim.Do(pid, c, new SyscallOp(new ExitCall(9)));

            Assert.Equal(new UserResult(-3, false, 0, true), read); // -ESRCH, dead
            Assert.Equal(new UserResult(-3, false, 0, true), write);
            Assert.Equal(new UserResult(-3, false, 0, true), mmap);
            Assert.Equal(new UserResult(-3, false, 0, true), exit);
        }

        Assert.Equal(3, sim.State.Task(pid).ExitCode); // the zombie's exit code stays
        Assert.Null(sim.State.Task(pid).Mm);
        Assert.Equal(generation, sim.State.Frames.Generation(frame));
        sim.AssertAllFreed();
    }
}
