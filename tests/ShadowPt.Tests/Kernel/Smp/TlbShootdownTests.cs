using ShadowPt.Kernel;
using ShadowPt.Runtime.Async;
using ShadowPt.Tests.TestKit;

namespace ShadowPt.Tests.Kernel.Smp;

/// <summary>
/// flush_tlb_mm_range, x86 style: who gets an IPI (mm_cpumask, lazy CPUs only when page tables are
/// freed), how a CPU that missed flushes catches up (tlb_gen), and that the initiator waits for every
/// acknowledgement, even from a CPU that holds interrupts off, before it frees anything.
/// A CPU's TLB keeps entries of an mm it left (they are tagged, like PCIDs): whether a flush reached
/// it shows in whether its entry survived.
/// </summary>
public sealed class TlbShootdownTests
{
    private const ulong Page = SimMachine.Page;

    /// <summary>Two regions in different PTE pages (2 MiB apart): unmapping B alone frees its page table.</summary>
    private const ulong RegionA = 0x7f0000000000;

    private const ulong RegionB = 0x7f0000400000;

    private const MapFlags Fixed = MapFlags.Private | MapFlags.Anonymous | MapFlags.Fixed;

    public static TheoryData<ulong> Seeds() => new(1UL, 2UL, 3UL);

    [Theory]
    [MemberData(nameof(Seeds))]
    public void RunningCpuInMmCpumaskIsFlushedBeforeMunmapReturns(ulong seed)
    {
        using var sim = new SimMachine(2, seed);
        int t1 = sim.Spawn();
        sim.CatchSigsegv(t1, 0);
        int t2 = sim.SpawnThread(t1);
        VirtAddr a = sim.Mmap(t1, 0, 2, addr: RegionA, flags: Fixed);
        sim.Write(t1, 0, a, 0x41);
        Assert.Equal(0x41, sim.Read(t2, 1, a));
        MmId mm = sim.MmOf(t1).Id;
        Assert.Equal(0b11UL, sim.MmOf(t1).MmCpumask.Bits);
        Assert.True(sim.TlbHas(1, mm, a));

        Assert.Equal(0, sim.Sys(t1, 0, new MunmapCall(a, Page)));

        Assert.False(sim.TlbHas(1, mm, a));
        Assert.Equal(sim.MmOf(t1).TlbGen, sim.Cpu(1).LocalTlbGen(mm));
        Assert.True(sim.Access(t2, 1, a, false).Segv);
        sim.AssertTlbCoherent();
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void CpuOutsideMmCpumaskGetsNoIpiAndFlushesWhenItSwitchesBack(ulong seed)
    {
        using var sim = new SimMachine(3, seed);
        int p = sim.Spawn("p");
        int q = sim.Spawn("q");
        sim.CatchSigsegv(p, 2);
        VirtAddr a = sim.Mmap(p, 2, 1, addr: RegionB, flags: Fixed);
        sim.Write(p, 2, a, 0x41);
        MmId mm = sim.MmOf(p).Id;
        sim.Sleep(p, 2);
        sim.Read(q, 2, new VirtAddr(0x7ffffffff000 - 8)); // cpu2 switches to q's mm and leaves p's mm_cpumask
        Assert.Equal(0UL, sim.MmOf(p).MmCpumask.Bits);

        Assert.Equal(0, sim.Sys(p, 0, new MunmapCall(a, Page))); // frees the PTE page: even lazy CPUs would be told

        Assert.Equal(0b1UL, sim.MmOf(p).MmCpumask.Bits);
        Assert.True(sim.TlbHas(2, mm, a)); // no IPI reached cpu2: its (tagged, unused) entry survived
        Assert.True(sim.Cpu(2).LocalTlbGen(mm) < sim.MmOf(p).TlbGen);

        sim.Sleep(p, 0);
        UserResult read = sim.Access(p, 2, a, false); // switch_mm_irqs_off sees the newer tlb_gen and flushes

        Assert.True(read.Segv && !read.Killed);
        Assert.False(sim.TlbHas(2, mm, a));
        sim.AssertTlbCoherent();
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void LazyCpuIsSkippedUnlessPageTablesAreFreedAndFlushesWhenItSwitchesBack(ulong seed)
    {
        using var sim = new SimMachine(2, seed);
        int p = sim.Spawn();
        sim.CatchSigsegv(p, 1);
        VirtAddr a = sim.Mmap(p, 1, 2, addr: RegionA, flags: Fixed);
        sim.Write(p, 1, a, 0x41);
        Pfn frame = sim.PteOf(p, a).Pfn;
        MmId mm = sim.MmOf(p).Id;
        sim.Sleep(p, 1); // cpu1 goes idle in lazy TLB mode: still in mm_cpumask, entries kept
        Assert.True(sim.State.PerCpu[1].IsLazy);

        Assert.Equal(0, sim.Sys(p, 0, new MunmapCall(a, Page))); // a+1 keeps the PTE page: no table freed

        Assert.Equal(0b11UL, sim.MmOf(p).MmCpumask.Bits);
        Assert.True(sim.TlbHas(1, mm, a)); // skipped: the idle CPU cannot use it
        Assert.False(sim.State.Frames.IsAllocated(frame));
        Assert.True(sim.Cpu(1).LocalTlbGen(mm) < sim.MmOf(p).TlbGen);

        sim.Sleep(p, 0);
        UserResult read = sim.Access(p, 1, a, false);

        Assert.True(read.Segv && !read.Killed); // not a read of the freed frame
        Assert.False(sim.TlbHas(1, mm, a));
        sim.AssertTlbCoherent();
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void LazyCpuTakesTheIpiWhenPageTablesAreFreed(ulong seed)
    {
        using var sim = new SimMachine(2, seed);
        int p = sim.Spawn();
        VirtAddr b = sim.Mmap(p, 1, 1, addr: RegionB, flags: Fixed);
        sim.Write(p, 1, b, 0x42);
        MmId mm = sim.MmOf(p).Id;
        sim.Sleep(p, 1);

        Assert.Equal(0, sim.Sys(p, 0, new MunmapCall(b, Page)));

        Assert.False(sim.TlbHas(1, mm, b));
        Assert.Equal(sim.MmOf(p).TlbGen, sim.Cpu(1).LocalTlbGen(mm));
        sim.AssertTlbCoherent();
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void LazyCpuThatMissedAFlushIsFullyFlushedByTheNextIpi(ulong seed)
    {
        // flush_tlb_func: a partial flush is enough only when it brings the CPU from tlb_gen n to n + 1.
        // A lazy CPU that skipped flush n + 1 (page a, no table freed) and then takes the IPI of
        // flush n + 2 (page b, its table freed) must flush everything, or its entry for a survives
        // while its generation says it is up to date, and nothing flushes it on the way back.
        using var sim = new SimMachine(2, seed);
        int p = sim.Spawn();
        sim.CatchSigsegv(p, 1);
        VirtAddr a = sim.Mmap(p, 1, 2, addr: RegionA, flags: Fixed);
        VirtAddr b = sim.Mmap(p, 1, 1, addr: RegionB, flags: Fixed);
        sim.Write(p, 1, a, 0x41);
        sim.Write(p, 1, b, 0x42);
        MmId mm = sim.MmOf(p).Id;
        sim.Sleep(p, 1);
        Assert.Equal(0, sim.Sys(p, 0, new MunmapCall(a, Page))); // skips lazy cpu1
        Assert.True(sim.TlbHas(1, mm, a));

        Assert.Equal(0, sim.Sys(p, 0, new MunmapCall(b, Page))); // frees b's PTE page: IPIs cpu1

        Assert.False(sim.TlbHas(1, mm, b));
        Assert.False(sim.TlbHas(1, mm, a));
        sim.AssertTlbCoherent();
        sim.Sleep(p, 0);
        UserResult read = sim.Access(p, 1, a, false);
        Assert.True(read.Segv && !read.Killed);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void IpiWaitsWhileTheTargetHoldsInterruptsOffAndNothingIsFreedBeforeItsAck(ulong seed)
    {
        using var sim = new SimMachine(2, seed);
        IrqOffGate.Register();
        int t1 = sim.Spawn();
        int t2 = sim.SpawnThread(t1);
        VirtAddr a = sim.Mmap(t1, 0, 2, addr: RegionA, flags: Fixed);
        sim.Write(t1, 0, a, 0x41);
        Pfn frame = sim.PteOf(t1, a).Pfn;
        Assert.Equal(0x41, sim.Read(t2, 1, a));
        MmId mm = sim.MmOf(t1).Id;
        var gate = new TestProbe(sim.System, "gate");

        Task<UserResult> irqOff = sim.Start(t2, 1, new SyscallOp(new IrqOffGate(gate.Ref)));
        gate.ExpectMsg("irqs off"); // cpu1 sits in local_irq_disable() ... local_irq_enable()
        Task<UserResult> munmap = sim.Start(t1, 0, new SyscallOp(new MunmapCall(a, Page)));
        sim.RunQuiescent();

        Assert.False(munmap.IsCompleted); // flush_tlb_mm_range waits for cpu1's acknowledgement
        Assert.True(sim.PteOf(t1, a).IsNone); // the PTE is gone ...
        Assert.True(sim.TlbHas(1, mm, a)); // ... but cpu1 has not taken the IPI yet
        Assert.True(sim.State.Frames.IsAllocated(frame)); // so the page is not freed
        Assert.False(irqOff.IsCompleted);

        gate.Reply("irqs on");
        sim.RunQuiescent();

        Assert.Equal(0, SimMachine.Completed(munmap).Ret);
        Assert.Equal(0, SimMachine.Completed(irqOff).Ret);
        Assert.False(sim.TlbHas(1, mm, a));
        Assert.False(sim.State.Frames.IsAllocated(frame));
        sim.AssertTlbCoherent();
    }

    /// <summary>
    /// A test system call: local_irq_disable, then wait for the gate's reply, then local_irq_enable,
    /// as a kernel path that spins with interrupts off would.
    /// </summary>
    private sealed record IrqOffGate(ShadowPt.Runtime.Actors.IActorRef Gate) : Syscall
    {
        public override string Name => "test_irq_off_gate";

        public static void Register() => ExtraSyscalls.Register<IrqOffGate>(Run);

        private static async ActorTask<long> Run(KernelContext k, IrqOffGate call)
        {
            k.Actor.InterruptsDisabled = true;
            await k.Actor.Ask<string>(call.Gate, "irqs off");
            k.Actor.InterruptsDisabled = false;
            return 0;
        }
    }
}
