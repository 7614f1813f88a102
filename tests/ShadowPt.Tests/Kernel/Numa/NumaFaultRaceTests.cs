using ShadowPt.Kernel;
using ShadowPt.Tests.TestKit;

namespace ShadowPt.Tests.Kernel.Numa;

/// <summary>A NUMA hinting fault that migrates a page races with a thread of the same mm on the other node.</summary>
public sealed class NumaFaultRaceTests
{
    [Fact]
    public void AMigrationRacingWithAnotherNodesAccessKeepsTheContents()
    {
        bool migrated = false;
        bool restoredInPlace = false;
        for (ulong seed = 1; seed <= 16; seed++)
        {
            using var sim = new SimMachine(2, seed, configure: c => c with { Numa = new NumaConfig { Nodes = 2 } });
            int pid = sim.Spawn("t");
            int thread = sim.SpawnThread(pid);
            VirtAddr page = sim.Mmap(pid, 0, 1);
            sim.Write(pid, 0, page, 0x11); // the allocator's oldest frames are on node 0, where cpu0 is
            MmNuma m = sim.State.Extension<NumaState>().Mm(sim.MmOf(pid).Id);
            m.NextScan = 0; // the scan is due at the task's next tick
            sim.Sleep(pid, 0);
            Assert.True(sim.PteOf(pid, page).IsProtNone);
            Pfn before = sim.PteOf(pid, page).Pfn;

            var read = sim.Start(pid, 0, new AccessOp(page, false, 0)); // node 0: local
            var write = sim.Start(thread, 1, new AccessOp(page + 1, true, 0x22)); // node 1: remote, may migrate
            sim.RunQuiescent();
            Assert.Equal(0x11, SimMachine.Completed(read).Value);
            Assert.False(SimMachine.Completed(write).Segv);
            Assert.Equal(0x11, sim.Read(pid, 0, page));
            Assert.Equal(0x22, sim.Read(thread, 1, page + 1));
            Pte after = sim.PteOf(pid, page);
            Assert.False(after.IsProtNone);
            long hints = sim.State.Extension<NumaState>().FindTask(pid)?.HintFaults ?? 0;
            hints += sim.State.Extension<NumaState>().FindTask(thread)?.HintFaults ?? 0;
            Assert.InRange(hints, 1, 2);
            migrated |= after.Pfn != before;
            restoredInPlace |= after.Pfn == before;
            if (after.Pfn != before)
            {
                Assert.False(sim.State.Frames.IsAllocated(before)); // the old frame was freed, after the flush
                Assert.Equal(1, sim.State.Config.Numa!.PfnToNode(after.Pfn, sim.State.Config.Frames));
            }

            sim.AssertNoLocksHeld();
            sim.AssertTlbCoherent();
        }

        Assert.True(migrated && restoredInPlace, $"migrated {migrated}, restored in place {restoredInPlace}");
    }
}
