using ShadowPt.Kernel;
using ShadowPt.Runtime;
using ShadowPt.Runtime.Recording;
using ShadowPt.Scenarios;
using ShadowPt.Scenarios.BuiltIn;
using ShadowPt.Tests.TestKit;

namespace ShadowPt.Tests.Kernel.FaultPolicy;

/// <summary>The first seed's custom fault policy: map a page of 'X', or VM_FAULT_RETRY; the strategy chooses.</summary>
public sealed class FaultPolicyTests
{
    /// <summary>Counts mmap_lock read acquisitions and releases of the fault path.</summary>
    private sealed class MmapReadLockCounter : KernelObserver
    {
        public int Acquired { get; private set; }

        public int Released { get; private set; }

        public override void LockAcquired(LockEvent e)
        {
            if (e.Lock.Lock is MmapLockRef && e.Lock.Mode == LockMode.Shared)
            {
                Acquired++;
            }
        }

        public override void LockReleased(LockEvent e)
        {
            if (e.Lock.Lock is MmapLockRef && e.Lock.Mode == LockMode.Shared)
            {
                Released++;
            }
        }
    }

    private static SimMachine Sim(ulong seed, int retriesMax = FaultPolicyConfig.RetriesDefault) =>
        new(1, seed, configure: c => c with { FaultPolicy = new FaultPolicyConfig { Process = "target", RetriesMax = retriesMax } });

    [Fact]
    public void EveryFaultEndsWithAnXPageAndRetriesRetakeMmapLock()
    {
        const int pages = 6;
        long retried = 0;
        long mappedAfterRetry = 0;
        long mappedByChoice = 0;
        for (ulong seed = 1; seed <= 6; seed++)
        {
            using SimMachine sim = Sim(seed);
            var locks = new MmapReadLockCounter();
            sim.Machine.Events.Add(locks);
            int pid = sim.Spawn("target");
            VirtAddr buf = sim.Mmap(pid, 0, pages);
            int before = locks.Acquired;
            for (int i = 0; i < pages; i++)
            {
                Assert.Equal(0x58, sim.Read(pid, 0, buf + ((ulong)i * SimMachine.Page))); // 'X', also after retries
            }

            FaultPolicyState state = sim.State.Extension<FaultPolicyState>();
            Assert.Equal(pages, state.Mapped);
            Assert.Equal(pages + state.Retried, locks.Acquired - before); // one mmap_read_lock per attempt
            Assert.Equal(locks.Acquired, locks.Released); // every retry released it first
            Assert.InRange(state.LongestRetryChain, 0, FaultPolicyConfig.RetriesDefault);
            sim.AssertNoLocksHeld();
            retried += state.Retried;
            mappedAfterRetry += state.MappedAfterRetry;
            mappedByChoice += state.Mapped - state.MappedForced;
        }

        Assert.True(retried > 0, "no seed answered retry");
        Assert.True(mappedAfterRetry > 0, "no retried fault was mapped");
        Assert.True(mappedByChoice > 0, "no seed mapped at the first answer");
    }

    [Fact]
    public void TheRetryLimitForcesAMapAndOtherProcessesAreUntouched()
    {
        using SimMachine sim = Sim(2, retriesMax: 0);
        int pid = sim.Spawn("target");
        int other = sim.Spawn("other");
        VirtAddr a = sim.Mmap(pid, 0, 2);
        VirtAddr b = sim.Mmap(other, 0, 1);
        int booleansBefore = Booleans(sim);
        Assert.Equal(0x58, sim.Read(pid, 0, a));
        sim.Write(pid, 0, a + SimMachine.Page, 0x41);
        Assert.Equal(0x41, sim.Read(pid, 0, a + SimMachine.Page));
        Assert.Equal(0x58UL, sim.State.Frames.ReadU64(sim.PteOf(pid, a + SimMachine.Page).Pfn, 8, new Provenance(0, "test")) & 0xffUL);
        Assert.Equal(0, sim.Read(other, 0, b)); // not the chosen process: the zero page
        FaultPolicyState state = sim.State.Extension<FaultPolicyState>();
        Assert.Equal((2L, 2L, 0L), (state.Mapped, state.MappedForced, state.Retried));
        Assert.Equal(booleansBefore, Booleans(sim)); // a fault that may not retry asks the strategy nothing
    }

    private static int Booleans(SimMachine sim) =>
        sim.System.CaptureSchedule("t", null, 2).Choices.Count(c => c.Kind == ChoiceKind.Boolean);

    [Fact]
    public void TheScenarioReachesBothOutcomesAcrossSeedsWithEveryCheckOn()
    {
        bool retried = false;
        bool mappedAtOnce = false;
        for (ulong seed = 1; seed <= 5; seed++)
        {
            ShadowPtScenario? scenario = null;
            RunReport report = ScenarioRunner.Run(() => scenario = PolicyScenarios.FaultPolicy(), new RunOptions { Seed = seed });
            Assert.Null(report.Violation); // shadow-consistency, lockdep, deadlock, races, resources, tlb
            Assert.Contains("shadow-consistency", scenario!.Checks);
            FaultPolicyState state = scenario.Machine!.State.Extension<FaultPolicyState>();
            retried |= state.Retried > 0 && state.MappedAfterRetry > 0;
            mappedAtOnce |= state.Mapped - state.MappedAfterRetry - state.MappedForced > 0;
            Assert.Equal(9, state.Mapped); // pages 0-7 once each, page 0 again after MADV_DONTNEED
            Assert.True(state.MappedForced >= 2, "mlock's populate cannot retry: its two pages are mapped at once");
        }

        Assert.True(retried && mappedAtOnce);
    }

    [Fact]
    public void AFaultPolicyRunReplaysToTheSameTraceHash()
    {
        RunReport first = ScenarioRunner.Run(() => PolicyScenarios.FaultPolicy(), new RunOptions { Seed = 11 });
        RunReport second = ScenarioRunner.Run(() => PolicyScenarios.FaultPolicy(), new RunOptions { Seed = 11 });
        Assert.Equal(first.TraceHash, second.TraceHash);
        Assert.Equal(first.Description, second.Description);
        RunReport replay = ScenarioRunner.Replay(PolicyScenarios.FaultPolicy(), first.Schedule, null);
        Assert.Equal(first.TraceHash, replay.TraceHash);
        Assert.Contains(first.Schedule.Choices, c => c.Kind == ChoiceKind.Boolean);
    }
}
