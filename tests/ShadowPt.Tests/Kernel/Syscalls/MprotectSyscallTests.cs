using ShadowPt.Kernel;
using ShadowPt.Tests.TestKit;

namespace ShadowPt.Tests.Kernel.Syscalls;

/// <summary>mprotect as a process issues it, on 1 and 4 CPUs.</summary>
public sealed class MprotectSyscallTests
{
    private const ulong Page = SimMachine.Page;

    public static TheoryData<int> CpuCounts() => new(1, 4);

    [Theory]
    [MemberData(nameof(CpuCounts))]
    public void ReadOnlyMiddleSplitsTheVmaInThreeAndAWriteThereRaisesSigsegv(int cpus)
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

        Pfn middle = sim.PteOf(pid, a + Page).Pfn;
        Assert.True(sim.TlbHas(cpu, sim.MmOf(pid).Id, a + Page));

        Assert.Equal(0, sim.Sys(pid, cpu, new MprotectCall(a + Page, Page, Prot.Read)));

        Assert.Equal(
            [(a.Value, a.Value + Page), (a.Value + Page, a.Value + (2 * Page)), (a.Value + (2 * Page), a.Value + (3 * Page))],
            sim.Vmas(pid).Where(v => v.Start >= a.Value && v.End <= a.Value + (3 * Page)));
        Pte pte = sim.PteOf(pid, a + Page);
        Assert.True(pte.IsPresent && !pte.IsWrite);
        Assert.Equal(middle, pte.Pfn);
        Assert.True(sim.PteOf(pid, a).IsWrite);
        Assert.False(sim.TlbHas(cpu, sim.MmOf(pid).Id, a + Page)); // flushed: the writable entry is gone
        sim.AssertTlbCoherent();

        long faults = sim.MinFlt(pid);
        UserResult write = sim.Access(pid, cpu, a + Page, true, 0x99);

        Assert.True(write.Segv && !write.Killed);
        Assert.Equal(1, sim.State.Task(pid).SigsegvCount);
        Assert.Equal(faults, sim.MinFlt(pid));
        Assert.Equal(0x42, sim.Read(pid, cpu, a + Page)); // the write did not land
        sim.Write(pid, cpu, a + (2 * Page), 0x77); // the neighbours stay writable
    }

    [Theory]
    [MemberData(nameof(CpuCounts))]
    public void WithoutAHandlerTheSigsegvKillsTheProcessAndFreesItsMemory(int cpus)
    {
        using var sim = new SimMachine(cpus);
        int cpu = cpus - 1;
        int pid = sim.Spawn();
        VirtAddr a = sim.Mmap(pid, cpu, 1);
        sim.Write(pid, cpu, a, 1);
        Assert.Equal(0, sim.Sys(pid, cpu, new MprotectCall(a, Page, Prot.Read)));

        UserResult write = sim.Access(pid, cpu, a, true, 2);

        Assert.True(write.Segv && write.Killed);
        TaskStruct task = sim.State.Task(pid);
        Assert.True(task.Exited);
        Assert.Equal(128 + 11, task.ExitCode);
        sim.AssertAllFreed();
    }

    [Theory]
    [MemberData(nameof(CpuCounts))]
    public void WritableAgainMergesTheVmasAndAnExclusivePageIsWrittenWithoutAFault(int cpus)
    {
        using var sim = new SimMachine(cpus);
        int cpu = cpus - 1;
        int pid = sim.Spawn();
        VirtAddr a = sim.Mmap(pid, cpu, 2);
        sim.Write(pid, cpu, a, 0x41);
        Pfn frame = sim.PteOf(pid, a).Pfn;
        Assert.Equal(0, sim.Sys(pid, cpu, new MprotectCall(a, Page, Prot.Read)));

        Assert.Equal(0, sim.Sys(pid, cpu, new MprotectCall(a, Page, Prot.Read | Prot.Write)));

        Assert.Contains((a.Value, a.Value + (2 * Page)), sim.Vmas(pid));
        Pte pte = sim.PteOf(pid, a);
        Assert.True(pte.IsWrite); // can_change_pte_writable: the page is exclusive
        Assert.Equal(frame, pte.Pfn);
        long faults = sim.MinFlt(pid);
        sim.Write(pid, cpu, a, 0x42);
        Assert.Equal(faults, sim.MinFlt(pid));
        Assert.Equal(frame, sim.PteOf(pid, a).Pfn);
        Assert.Equal(0x42, sim.Read(pid, cpu, a));
    }

    [Theory]
    [MemberData(nameof(CpuCounts))]
    public void WritableAgainLeavesTheZeroPageReadOnlySoTheWriteFaultsOnce(int cpus)
    {
        using var sim = new SimMachine(cpus);
        int cpu = cpus - 1;
        int pid = sim.Spawn();
        VirtAddr a = sim.Mmap(pid, cpu, 1, Prot.Read);
        Assert.Equal(0, sim.Read(pid, cpu, a));
        Assert.Equal(FrameAllocator.ZeroPfn, sim.PteOf(pid, a).Pfn);

        Assert.Equal(0, sim.Sys(pid, cpu, new MprotectCall(a, Page, Prot.Read | Prot.Write)));
        long faults = sim.MinFlt(pid);
        sim.Write(pid, cpu, a, 0x41);

        Assert.Equal(faults + 1, sim.MinFlt(pid));
        Pte pte = sim.PteOf(pid, a);
        Assert.NotEqual(FrameAllocator.ZeroPfn, pte.Pfn);
        Assert.True(pte.IsWrite);
    }

    [Theory]
    [MemberData(nameof(CpuCounts))]
    public void ProtNoneMakesEveryAccessFault(int cpus)
    {
        using var sim = new SimMachine(cpus);
        int cpu = cpus - 1;
        int pid = sim.Spawn();
        sim.CatchSigsegv(pid, cpu);
        VirtAddr a = sim.Mmap(pid, cpu, 1);
        sim.Write(pid, cpu, a, 1);

        Assert.Equal(0, sim.Sys(pid, cpu, new MprotectCall(a, Page, Prot.None)));

        Assert.True(sim.Access(pid, cpu, a, false).Segv);
        Assert.True(sim.Access(pid, cpu, a, true, 2).Segv);
        Assert.Equal(0, sim.Sys(pid, cpu, new MprotectCall(a, Page, Prot.Read)));
        Assert.Equal(1, sim.Read(pid, cpu, a));
    }

    [Theory]
    [InlineData(0x7f0000000001UL, 0x1000UL, Prot.Read, -22)] // unaligned
    [InlineData(0x7f0000000000UL, 0x1000UL, Prot.Read, -12)] // nothing mapped there
    public void MprotectRefusesBadArguments(ulong addr, ulong length, Prot prot, long expected)
    {
        foreach (int cpus in new[] { 1, 4 })
        {
            using var sim = new SimMachine(cpus);
            int pid = sim.Spawn();

            Assert.Equal(expected, sim.Sys(pid, cpus - 1, new MprotectCall(new VirtAddr(addr), length, prot)));
        }
    }
}
