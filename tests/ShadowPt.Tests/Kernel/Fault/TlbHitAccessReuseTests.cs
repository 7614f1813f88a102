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
