using ShadowPt.Actors;
using ShadowPt.Kernel;
using ShadowPt.Runtime;
using ShadowPt.Runtime.Strategies;
using ShadowPt.Tests.TestKit;

namespace ShadowPt.Tests.Actors;

/// <summary>The CPU actor: per-cpu current, context switches and mm_cpumask, lazy TLB, IPIs while a path waits.</summary>
public sealed class CpuActorTests
{
    private const ulong Page = SimMachine.Page;

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(64)]
    public void BootMakesOneCpuActorPerCpuAndAnIdleMachine(int cpus)
    {
        using var sim = new SimMachine(cpus, frames: 64);

        Assert.Equal(cpus, sim.Machine.Cpus.Count);
        Assert.Equal(Enumerable.Range(0, cpus).Select(i => $"/user/cpu{i}"), sim.Machine.Cpus.Select(c => c.Path));
        Assert.All(sim.State.PerCpu, c => Assert.True(c.CurrentPid == 0 && c.LoadedMm is null && !c.IsLazy));
        Assert.Equal(0, sim.State.Frames.AllocatedCount);
        int pid = sim.Spawn("init");
        Assert.Equal(1, sim.State.Frames.AllocatedCount); // its PGD
        Assert.Equal([(0x7ffffffff000 - (33 * Page), 0x7ffffffff000UL)], sim.Vmas(pid));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(65)]
    public void BootRefusesAMachineWithoutCpusOrWithMoreThanTheCpumaskHolds(int cpus)
    {
        using ActorSystem system = ActorSystem.CreateDeterministic("sim", new RandomStrategy(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Machine.Boot(system, new MachineConfig { Cpus = cpus }));
    }

    [Fact]
    public void ContextSwitchMovesTheCpuBetweenMmCpumasksAndSetsCurrent()
    {
        using var sim = new SimMachine(2);
        int p = sim.Spawn("p");
        int q = sim.Spawn("q");
        VirtAddr stack = new(0x7ffffffff000 - 8);

        sim.Read(p, 1, stack);
        Assert.Equal((p, sim.MmOf(p).Id, false), (sim.State.PerCpu[1].CurrentPid, sim.State.PerCpu[1].LoadedMm, sim.State.PerCpu[1].IsLazy));
        Assert.Equal(0b10UL, sim.MmOf(p).MmCpumask.Bits);
        Assert.Equal(p, sim.Cpu(1).CurrentPid);

        sim.Read(q, 1, stack);
        Assert.Equal(0UL, sim.MmOf(p).MmCpumask.Bits);
        Assert.Equal(0b10UL, sim.MmOf(q).MmCpumask.Bits);
        Assert.Equal(q, sim.State.PerCpu[1].CurrentPid);

        sim.Sleep(q, 1); // idle, lazily keeping q's mm
        Assert.Equal((0, sim.MmOf(q).Id, true), (sim.State.PerCpu[1].CurrentPid, sim.State.PerCpu[1].LoadedMm, sim.State.PerCpu[1].IsLazy));
        Assert.Equal(0b10UL, sim.MmOf(q).MmCpumask.Bits);
        Assert.Null(sim.Cpu(1).CurrentMm);

        sim.Read(q, 0, stack); // q moved to cpu0 after sleeping: both CPUs may now cache its translations
        Assert.Equal(0b11UL, sim.MmOf(q).MmCpumask.Bits);
        sim.Exit(q, 0);
        sim.Exit(p, 1);
        sim.AssertAllFreed();
    }

    [Fact]
    public void ATaskThatIsCurrentOnOneCpuCannotBeSwitchedInOnAnother()
    {
        // A task must sleep (or exit) on its CPU before it runs elsewhere; otherwise that CPU would keep
        // running it with a stale current->mm.
        using var sim = new SimMachine(2);
        int p = sim.Spawn();
        sim.Read(p, 1, new VirtAddr(0x7ffffffff000 - 8));

        Task<UserResult> elsewhere = sim.Start(p, 0, new SleepOp());
        sim.System.Run();

        Violation v = Assert.IsType<Violation>(sim.System.Violation);
        Assert.Equal("kernel-bug", v.Kind);
        Assert.IsType<KernelBugException>(v.Exception);
        Assert.Contains($"p-{p} switched in on cpu0 while it is current on another CPU", v.Message, StringComparison.Ordinal);
        Assert.False(elsewhere.IsCompleted);
    }

    [Fact]
    public void AFlushIpiIsTakenWhileTheTargetWaitsForALock()
    {
        // cpu1's fault waits for mmap_lock, which cpu0's munmap holds while it waits for cpu1's ack:
        // without IPIs between the steps of a waiting kernel path this would deadlock.
        int waitedWithIpiPending = 0;
        for (ulong seed = 1; seed <= 20; seed++)
        {
            using var sim = new SimMachine(2, seed);
            int t1 = sim.Spawn();
            int t2 = sim.SpawnThread(t1);
            VirtAddr a = sim.Mmap(t1, 0, 4);
            sim.Write(t1, 0, a, 1);
            Assert.Equal(1, sim.Read(t2, 1, a)); // cpu1 caches a: the munmap must IPI it
            MmStruct mm = sim.MmOf(t1);

            Task<UserResult> munmap = sim.Start(t1, 0, new SyscallOp(new MunmapCall(a, Page)));
            sim.System.RunUntil(() => mm.MmapLock.Writer is not null);
            Task<UserResult> fault = sim.Start(t2, 1, new AccessOp(a + (2 * Page), true, 2));
            sim.System.RunUntil(() => mm.MmapLock.Waiters.Count > 0 || fault.IsCompleted);
            waitedWithIpiPending += mm.MmapLock.Waiters.Count > 0 && sim.TlbHas(1, mm.Id, a) ? 1 : 0;
            sim.RunQuiescent();

            Assert.Equal(0, SimMachine.Completed(munmap).Ret);
            Assert.False(SimMachine.Completed(fault).Segv);
            Assert.False(sim.TlbHas(1, mm.Id, a));
            Assert.Equal(2, sim.Read(t2, 1, a + (2 * Page)));
        }

        Assert.True(waitedWithIpiPending > 0, "no seed had the fault wait for mmap_lock before cpu1 took the IPI");
    }
}
