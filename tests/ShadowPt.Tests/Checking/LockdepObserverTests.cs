using ShadowPt.Actors;
using ShadowPt.Kernel;
using ShadowPt.Runtime;
using ShadowPt.Scenarios;
using ShadowPt.Scenarios.BuiltIn;
using ShadowPt.Spt;

namespace ShadowPt.Tests.Checking;

public sealed class LockdepObserverTests
{
    private static ShadowPtScenario Scenario(params string[] variants) => new(
        "lockdep",
        new MachineConfig { Cpus = 2, Frames = 1024, Variants = new HashSet<string>(variants, StringComparer.Ordinal) },
        ShadowPtScenario.DefaultTarget(),
        pid => new InspectorSpec { TargetPid = pid, StartVaddr = ShadowPtScenario.Tracked.Start.Value, EndVaddr = ShadowPtScenario.Tracked.End.Value, Ticks = 3 });

    [Fact]
    public void TheCorrectModelNeverTripsLockdep()
    {
        for (ulong seed = 1; seed <= 30; seed++)
        {
            RunReport report = ScenarioRunner.Run(() => Scenario(), new RunOptions { Seed = seed });
            Assert.Null(report.Violation);
        }
    }

    [Fact]
    public void TakingMmapLockUnderTheShadowLockIsReportedAtOnce()
    {
        RunReport report = ScenarioRunner.Run(() => Scenario(Variants.AbbaMmapShadow), new RunOptions { Seed = 1 });
        Violation v = Assert.IsType<Violation>(report.Violation);
        Assert.Equal("sleep-in-atomic", v.Kind);
        Assert.Contains("BUG: sleeping function called from invalid context", v.Message, StringComparison.Ordinal);
        Assert.Contains("takes the sleeping lock (mm1->mmap_lock){mm->mmap_lock} at Track", v.Message, StringComparison.Ordinal);
        Assert.Contains("holding spinlock: (shadowpt_lock) at Track", v.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WithoutTheCheckTheVariantRunsToTheEnd()
    {
        var definition = Scenario(Variants.AbbaMmapShadow).Definition with { Checks = new HashSet<string>(["shadow-consistency", "resources"], StringComparer.Ordinal) };
        RunReport report = ScenarioRunner.Run(() => new ShadowPtScenario(definition), new RunOptions { Seed = 1 });
        Assert.Null(report.Violation);
    }
}

public sealed class BadUnlockBalanceTests
{
    [Fact]
    public void ReleasingALockNotHeldIsReportedLikeLockdep()
    {
        using var system = ActorSystem.CreateDeterministic("bad-unlock", new ShadowPt.Runtime.Strategies.RandomStrategy(1));
        Machine machine = Machine.Boot(system, new MachineConfig { Cpus = 1, Frames = 64 });
        machine.Events.Add(new ShadowPt.Checking.LockdepObserver(system));
        int pid = machine.CreateProcess("p");
        MmId mm = machine.State.Task(pid).Mm!.Id;
        KernelPathActor.Start(machine, "path", 0, pid, async k =>
        {
            await k.MmapReadLock(mm);
            k.MmapReadUnlock(mm);
            k.MmapReadUnlock(mm); // one release too many
        });
        system.Run();
        Violation v = Assert.IsType<Violation>(system.Violation);
        Assert.Equal("bad-unlock-balance", v.Kind);
        Assert.Contains("WARNING: bad unlock balance detected!", v.Message, StringComparison.Ordinal);
        Assert.Contains($"pid {pid} (cpu0) is trying to release lock (mm1->mmap_lock)", v.Message, StringComparison.Ordinal);
        Assert.Contains("no locks held", v.Message, StringComparison.Ordinal);
    }
}
