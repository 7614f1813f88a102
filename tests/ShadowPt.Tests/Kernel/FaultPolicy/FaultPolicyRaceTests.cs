using ShadowPt.Kernel;
using ShadowPt.Tests.TestKit;

namespace ShadowPt.Tests.Kernel.FaultPolicy;

/// <summary>The fault policy under interleavings: two threads of the chosen process on two CPUs.</summary>
public sealed class FaultPolicyRaceTests
{
    private static SimMachine Sim(ulong seed) =>
        new(2, seed, configure: c => c with { FaultPolicy = new FaultPolicyConfig { Process = "target" } });

    [Fact]
    public void TwoThreadsFaultingOnePageGetOneXPage()
    {
        for (ulong seed = 1; seed <= 12; seed++)
        {
            using SimMachine sim = Sim(seed);
            int pid = sim.Spawn("target");
            int thread = sim.SpawnThread(pid);
            VirtAddr page = sim.Mmap(pid, 0, 1);
            var first = sim.Start(pid, 0, new AccessOp(page, false, 0));
            var second = sim.Start(thread, 1, new AccessOp(page + 1, false, 0));
            sim.RunQuiescent();
            Assert.Equal(0x58, SimMachine.Completed(first).Value);
            Assert.Equal(0x58, SimMachine.Completed(second).Value);
            FrameAllocator frames = sim.State.Frames;
            var unmappedAnon = Enumerable.Range(0, frames.FrameCount).Select(i => new Pfn((ulong)i))
                .Where(p => frames.IsAllocated(p) && frames.Kind(p) == FrameKind.Anon && frames.PageMapCount(p) == 0);
            Assert.Empty(unmappedAnon); // the loser's 'X' page went back to the allocator
            FaultPolicyState state = sim.State.Extension<FaultPolicyState>();
            Assert.Equal(1, state.Mapped);
            sim.AssertNoLocksHeld();
            sim.AssertTlbCoherent();
        }
    }

    [Fact]
    public void AnUnmapBetweenRetriesEndsTheFaultInSigsegv()
    {
        bool sawX = false;
        bool sawSegv = false;
        for (ulong seed = 1; seed <= 24 && !(sawX && sawSegv); seed++)
        {
            using SimMachine sim = Sim(seed);
            int pid = sim.Spawn("target");
            sim.CatchSigsegv(pid, 0);
            int thread = sim.SpawnThread(pid);
            VirtAddr page = sim.Mmap(pid, 0, 1);
            var fault = sim.Start(pid, 0, new AccessOp(page, false, 0));
            var unmap = sim.Start(thread, 1, new SyscallOp(new MunmapCall(page, SimMachine.Page)));
            sim.RunQuiescent();
            UserResult result = SimMachine.Completed(fault);
            Assert.Equal(0, SimMachine.Completed(unmap).Ret);
            if (result.Segv)
            {
                sawSegv = true; // the VMA was gone when the fault (maybe a retry) looked it up
            }
            else
            {
                Assert.Equal(0x58, result.Value);
                sawX = true;
            }

            Assert.Equal(Pte.None, sim.PteOf(pid, page)); // munmap came last either way
            sim.AssertNoLocksHeld();
            sim.AssertTlbCoherent();
        }

        Assert.True(sawX && sawSegv, $"outcomes seen: X {sawX}, SIGSEGV {sawSegv}");
    }
}
