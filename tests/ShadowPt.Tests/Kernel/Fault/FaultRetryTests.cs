using ShadowPt.Kernel;
using ShadowPt.Tests.TestKit;

namespace ShadowPt.Tests.Kernel.Fault;

/// <summary>VM_FAULT_RETRY: a major file fault drops mmap_lock while the page is read, then the fault is retried.</summary>
public sealed class FaultRetryTests
{
    /// <summary>Counts the mmap_lock acquisitions of the fault path.</summary>
    private sealed class MmapLockCounter : KernelObserver
    {
        public int FaultPathAcquisitions { get; private set; }

        public override void LockAcquired(LockEvent e)
        {
            if (e.Lock.Lock is MmapLockRef && e.Lock.Mode == LockMode.Shared)
            {
                FaultPathAcquisitions++;
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void AMajorFaultIsRetriedOnceAndCountedMajorOnce(int cpus)
    {
        using var sim = new SimMachine(cpus);
        var counter = new MmapLockCounter();
        sim.Machine.Events.Add(counter);
        int pid = sim.Spawn();
        sim.State.CreateFile("/data/f", 2, fill: 0x77);
        long addr = sim.Sys(pid, 0, new MmapFileCall(VirtAddr.Zero, 2 * 4096, Prot.Read, MapFlags.Private, "/data/f", 0));
        Assert.True(addr > 0);

        Assert.Equal(0x77, sim.Read(pid, 0, new VirtAddr((ulong)addr)));
        Assert.Equal(2, counter.FaultPathAcquisitions); // the first attempt dropped mmap_lock for the read
        Assert.Equal((1L, 0L), (sim.MmOf(pid).MajFlt, sim.MinFlt(pid)));

        Assert.Equal(0x77, sim.Read(pid, 0, new VirtAddr((ulong)addr + 4096)));
        Assert.Equal(4, counter.FaultPathAcquisitions);
        sim.Sleep(pid, 0);
        sim.State.PageCache.DropCaches(sim.State.Frames, new Provenance(0, "test"));
        Assert.Equal(2, sim.State.PageCache.Count); // both pages are mapped, so nothing drops

        // Unmapped and read again: the pages are still cached, so the fault is minor and not retried.
        Assert.Equal(0, sim.Sys(pid, 0, new MunmapCall(new VirtAddr((ulong)addr), 2 * 4096)));
        long again = sim.Sys(pid, 0, new MmapFileCall(VirtAddr.Zero, 4096, Prot.Read, MapFlags.Private, "/data/f", 0));
        int before = counter.FaultPathAcquisitions;
        Assert.Equal(0x77, sim.Read(pid, 0, new VirtAddr((ulong)again)));
        Assert.Equal(before + 1, counter.FaultPathAcquisitions);
        Assert.Equal((2L, 1L), (sim.MmOf(pid).MajFlt, sim.MinFlt(pid)));
    }

    [Fact]
    public void AFileTheMachineDoesNotHaveIsEbadf()
    {
        using var sim = new SimMachine(1);
        int pid = sim.Spawn();
        Assert.Equal(-9, sim.Sys(pid, 0, new MmapFileCall(VirtAddr.Zero, 4096, Prot.Read, MapFlags.Private, "/nope", 0)));
    }
}
