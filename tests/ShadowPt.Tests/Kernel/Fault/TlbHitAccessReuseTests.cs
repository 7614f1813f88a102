using ShadowPt.Kernel;
using ShadowPt.Tests.TestKit;

namespace ShadowPt.Tests.Kernel.Fault;

/// <summary>The per-CPU argument object of TLB-hit accesses: used again access after access, never while in flight.</summary>
public sealed class TlbHitAccessReuseTests
{
    private const ulong Page = SimMachine.Page;

    [Fact]
    public void EveryHitOfACpuUsesItsOneSpareAndSeesItsOwnArguments()
    {
        using var sim = new SimMachine(2);
        int pid = sim.Spawn();
        VirtAddr a = sim.Mmap(pid, 1, 2);
        sim.Write(pid, 1, a, 0x41); // a fault, then the retry walks the page table and fills the TLB
        Assert.Null(sim.Cpu(1).SpareTlbHitAccess);
        Assert.Equal(0x41, sim.Read(pid, 1, a)); // the first hit makes the spare
        UserAccess.TlbHitAccess? spare = sim.Cpu(1).SpareTlbHitAccess;
        Assert.NotNull(spare);

        for (byte i = 0; i < 8; i++)
        {
            sim.Write(pid, 1, a + i, (byte)(0x50 + i));
            Assert.Equal(0x50 + i, sim.Read(pid, 1, a + i));
            Assert.Same(spare, sim.Cpu(1).SpareTlbHitAccess);
            Assert.False(sim.Cpu(1).Actor.InterruptsDisabled); // held off only while the instruction runs
        }

        Assert.Null(sim.Cpu(0).SpareTlbHitAccess); // CPU 0 made no access
        Assert.Equal(0x50, sim.Read(pid, 1, a)); // the first write (0x41) was overwritten
        sim.AssertTlbCoherent();
    }

    /// <summary>The TLB hits the memory actor saw, with the task its operation named.</summary>
    private sealed class HitLog : KernelObserver
    {
        public List<(MmId Mm, int Pid)> Hits { get; } = new();

        public override void TlbHitUsed(in TlbHit e) => Hits.Add((e.Entry.Mm, e.Place.Pid));
    }

    [Fact]
    public void TheKeptOperationNamesTheTaskOfEachHit()
    {
        using var sim = new SimMachine(1);
        var log = new HitLog();
        sim.Machine.Events.Add(log);
        int a = sim.Spawn("a");
        int b = sim.Spawn("b");
        VirtAddr pa = sim.Mmap(a, 0, 1);
        VirtAddr pb = sim.Mmap(b, 0, 1);
        sim.Write(a, 0, pa, 1);
        sim.Write(b, 0, pb, 2);
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(1, sim.Read(a, 0, pa));
            Assert.Equal(2, sim.Read(b, 0, pb));
        }

        Assert.True(log.Hits.Count >= 8);
        Assert.All(log.Hits, h => Assert.Equal(h.Mm == sim.MmOf(a).Id ? a : b, h.Pid));
        Assert.Contains(log.Hits, h => h.Pid == a);
        Assert.Contains(log.Hits, h => h.Pid == b);
    }

    [Fact]
    public void ArmingItWhileItsOperationIsInFlightIsAKernelBug()
    {
        var access = new UserAccess.TlbHitAccess();
        var entry = new TlbEntry(new MmId(1), 1, new Pfn(5), true, true);
        access.Arm(new CpuId(0), entry, new VirtAddr(Page), false, 0, 1, "load");

        Assert.Throws<KernelBugException>(() => access.Arm(new CpuId(0), entry, new VirtAddr(Page), false, 0, 1, "load"));
    }

    [Fact]
    public void RunningItWithoutArmingItIsAKernelBug()
    {
        var access = new UserAccess.TlbHitAccess();

        Assert.Throws<KernelBugException>(() => access.Run(null!));
    }
}
