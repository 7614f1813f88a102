using ShadowPt.Actors;
using ShadowPt.Checking;
using ShadowPt.Kernel;
using ShadowPt.Runtime;
using ShadowPt.Runtime.Strategies;
using ShadowPt.Scenarios;
using ShadowPt.Scenarios.BuiltIn;
using ShadowPt.Spt;

namespace ShadowPt.Tests.Checking;

/// <summary>
/// Spec monitors: the built-in "every opened table is released" fires on the leaking variant and
/// stays quiet on the correct model; monitors a user writes in C# join a scenario through its
/// definition; safety, liveness at the end and liveness past a step bound each report as P and
/// Coyote do.
/// </summary>
public sealed class SpecMonitorTests
{
    private static readonly IReadOnlySet<string> MonitorsOnly = new HashSet<string>(["monitors"], StringComparer.Ordinal);

    private static ShadowPtScenario Scenario(InspectorEnding ending, IReadOnlyList<Func<SpecMonitor>>? monitors = null, params string[] variants)
    {
        var scenario = new ShadowPtScenario(
            "monitors",
            new MachineConfig { Cpus = 2, Frames = 1024, Variants = new HashSet<string>(variants, StringComparer.Ordinal) },
            ShadowPtScenario.DefaultTarget(),
            pid => new InspectorSpec { TargetPid = pid, StartVaddr = ShadowPtScenario.Tracked.Start.Value, EndVaddr = ShadowPtScenario.Tracked.End.Value, Ticks = 4, Ending = ending });
        return monitors is null ? scenario : new ShadowPtScenario(scenario.Definition with { Monitors = monitors });
    }

    private static RunReport Run(ShadowPtScenario scenario, ulong seed, IReadOnlySet<string>? checks = null) =>
        ScenarioRunner.Run(() => scenario, new RunOptions { Seed = seed, StepsMax = 200_000, Checks = checks });

    [Theory]
    [InlineData(InspectorEnding.Close)]
    [InlineData(InspectorEnding.ExitWithoutClose)]
    public void TheCorrectModelReleasesEveryTableItOpened(InspectorEnding ending)
    {
        for (ulong seed = 1; seed <= 40; seed++)
        {
            ShadowPtScenario scenario = Scenario(ending);
            RunReport report = Run(scenario, seed);
            Assert.True(report.Violation is null, $"seed {seed}: {report.Violation?.Message}");
            SpecMonitor released = scenario.Monitors!.Monitors.Single(m => m.Name == ShadowTableReleasedMonitor.MonitorName);
            Assert.Equal("Closed", released.CurrentState.Name);
            Assert.True(released.Transitions >= 2, "the monitor saw the table open and released");
        }
    }

    [Fact]
    public void TwoInspectorsRacingForTheOneTableKeepItQuiet()
    {
        ScenarioDefinition one = Scenario(InspectorEnding.ExitWithoutClose).Definition;
        InspectorDefinition first = one.Inspectors[0];
        ScenarioDefinition two = one with
        {
            Machine = one.Machine with { Cpus = 3 },
            Inspectors = [first, first with { Name = "second", Cpu = 2, Ending = InspectorEnding.Close }],
        };
        for (ulong seed = 1; seed <= 30; seed++)
        {
            var scenario = new ShadowPtScenario(two);
            RunReport report = Run(scenario, seed);
            Assert.True(report.Violation is null, $"seed {seed}: {report.Violation?.Message}");
            string[] opens = [.. scenario.Output.Where(l => l.StartsWith("shadowpt_open(", StringComparison.Ordinal)).Select(l => l.Split(" = ")[1]).Order(StringComparer.Ordinal)];
            Assert.Equal(["-16", "0"], opens); // one table at a time: the loser gets -EBUSY
            Assert.Equal("Closed", scenario.Monitors!.Monitors[0].CurrentState.Name);
        }
    }

    [Fact]
    public void AnInspectorThatExitsWithoutItsTableBeingReleasedIsALivenessBug()
    {
        for (ulong seed = 1; seed <= 10; seed++)
        {
            RunReport report = Run(Scenario(InspectorEnding.ExitWithoutClose, null, Variants.InspectorExitLeaks), seed, MonitorsOnly);
            Violation v = Assert.IsType<Violation>(report.Violation);
            Assert.Equal("liveness", v.Kind);
            Assert.Matches(
                @"^Monitor 'shadow-table-released' detected liveness bug in hot state 'Releasing' at the end of program execution: the shadow table pid 2 opened at step \d+ was never released \(close, or the opener's exit, must free it\)$",
                v.Message);
        }
    }

    [Fact]
    public void ThatVariantClosingProperlyKeepsTheMonitorQuiet() =>
        Assert.Null(Run(Scenario(InspectorEnding.Close, null, Variants.InspectorExitLeaks), 1, MonitorsOnly).Violation);

    /// <summary>A user's safety property: the target never stores <see cref="Forbidden"/>.</summary>
    private sealed class NeverStores : SpecMonitor
    {
        public const byte Forbidden = 0x45; // the default target's last store

        public NeverStores()
            : base("never-stores-0x45")
        {
            MonitorState watching = Cold("Watching");
            watching.On<UserAccessed>(e => Assert(!(e.Write && e.Value == Forbidden), $"pid {e.Pid} stored 0x45 at 0x{e.Address.Value:x}"));
            Start(watching);
        }
    }

    [Fact]
    public void AUserSafetyMonitorAssertsOnTheEventThatBreaksIt()
    {
        RunReport report = Run(Scenario(InspectorEnding.Close, [() => new NeverStores()]), 1, MonitorsOnly);
        Violation v = Assert.IsType<Violation>(report.Violation);
        Assert.Equal("safety", v.Kind);
        Assert.StartsWith("Monitor 'never-stores-0x45' assertion failed in state 'Watching' on UserAccessed {", v.Message, StringComparison.Ordinal);
        Assert.EndsWith($": pid 1 stored 0x45 at 0x{ShadowPtScenario.HeapAt.Value + (7 * PageGeometry.PageSize):x}", v.Message, StringComparison.Ordinal);
    }

    /// <summary>A user's bounded liveness property: the shadow lock is never held for more than <c>bound</c> steps.</summary>
    private sealed class ShadowLockHeldBriefly : SpecMonitor
    {
        public ShadowLockHeldBriefly(long bound)
            : base("shadow-lock-held-briefly")
        {
            HotStepsMax = bound;
            MonitorState free = Cold("Free");
            MonitorState held = Hot("Held");
            free.On<LockChanged>(e =>
            {
                if (e.Lock.Lock.Lock is ShadowPtLockRef && !e.Released)
                {
                    Goto(held);
                }
            });
            held.On<LockChanged>(e =>
            {
                if (e.Lock.Lock.Lock is ShadowPtLockRef && e.Released)
                {
                    Goto(free);
                }
            });
            Start(free);
        }
    }

    [Fact]
    public void AMonitorHotForLongerThanItsBoundIsALivenessBugBeforeTheEnd()
    {
        RunReport report = Run(Scenario(InspectorEnding.Close, [() => new ShadowLockHeldBriefly(1)]), 1, MonitorsOnly);
        Violation v = Assert.IsType<Violation>(report.Violation);
        Assert.Equal("liveness", v.Kind);
        Assert.Matches(@"^Monitor 'shadow-lock-held-briefly' detected liveness bug in hot state 'Held' for more than 1 steps \(hot since step \d+, now step \d+\)$", v.Message);
        Assert.Equal(RunOutcome.Violation, report.Outcome);
    }

    [Fact]
    public void WithARoomyBoundItStaysQuiet()
    {
        for (ulong seed = 1; seed <= 10; seed++)
        {
            Assert.Null(Run(Scenario(InspectorEnding.Close, [() => new ShadowLockHeldBriefly(10_000)]), seed).Violation);
        }
    }

    private static SpecMonitors Hub(ActorSystem system, params SpecMonitor[] monitors) => new(system, new KernelEvents(), monitors);

    [Fact]
    public void AShootdownNeverAcknowledgedLeavesTheTlbMonitorHot()
    {
        using ActorSystem system = ActorSystem.CreateDeterministic("tlb", new RandomStrategy(1));
        var tlb = new TlbShootdownMonitor();
        SpecMonitors hub = Hub(system, tlb);
        hub.Announce(new TlbShootdownIpi(new CpuId(0), new CpuId(1), IpiPhase.Sent) { Step = 10 });
        hub.Announce(new TlbShootdownIpi(new CpuId(0), new CpuId(2), IpiPhase.Sent) { Step = 11 });
        hub.Announce(new TlbShootdownIpi(new CpuId(0), new CpuId(1), IpiPhase.AckReceived) { Step = 15 });
        Violation v = Assert.IsType<Violation>(hub.AtEnd());
        Assert.Equal("liveness", v.Kind);
        Assert.Equal(
            "Monitor 'tlb-shootdown-completes' detected liveness bug in hot state 'Flushing' at the end of program execution: 1 flush IPI(s) unacknowledged; the oldest from cpu0 to cpu1 at step 10",
            v.Message);
    }

    [Fact]
    public void EveryAcknowledgedShootdownLeavesItCold()
    {
        using ActorSystem system = ActorSystem.CreateDeterministic("tlb", new RandomStrategy(1));
        var tlb = new TlbShootdownMonitor();
        SpecMonitors hub = Hub(system, tlb);
        foreach (IpiPhase phase in Enum.GetValues<IpiPhase>())
        {
            hub.Announce(new TlbShootdownIpi(new CpuId(1), new CpuId(0), phase));
        }

        Assert.Equal("Idle", tlb.CurrentState.Name);
        Assert.Null(hub.AtEnd());
        Assert.Equal(2, tlb.Transitions);
    }

    [Fact]
    public void AnAcknowledgementForNoIpiIsASafetyViolation()
    {
        using ActorSystem system = ActorSystem.CreateDeterministic("tlb", new RandomStrategy(1));
        SpecMonitors hub = Hub(system, new TlbShootdownMonitor());
        hub.Announce(new TlbShootdownIpi(new CpuId(0), new CpuId(1), IpiPhase.Sent) { Step = 3 });
        hub.Announce(new TlbShootdownIpi(new CpuId(0), new CpuId(2), IpiPhase.AckReceived) { Step = 4 });
        Violation v = Assert.IsType<Violation>(hub.Violation);
        Assert.Equal("safety", v.Kind);
        Assert.Equal(4, v.Step);
        Assert.StartsWith("Monitor 'tlb-shootdown-completes' assertion failed in state 'Flushing' on TlbShootdownIpi {", v.Message, StringComparison.Ordinal);
        Assert.EndsWith(": cpu0 received an acknowledgement from cpu2 for no IPI it sent", v.Message, StringComparison.Ordinal);
        Assert.Equal(v, system.Violation);
        Assert.Null(hub.AtEnd()); // one violation per run
    }

    private sealed class Unstarted : SpecMonitor
    {
        public Unstarted()
            : base("unstarted") => Cold("A");
    }

    private sealed class TwiceNamed : SpecMonitor
    {
        public TwiceNamed()
            : base("twice")
        {
            Cold("A");
            Hot("A");
        }
    }

    [Fact]
    public void AMonitorMustStartAndNameItsStatesOnce()
    {
        using ActorSystem system = ActorSystem.CreateDeterministic("bad", new RandomStrategy(1));
        Assert.Throws<InvalidOperationException>(() => Hub(system, new Unstarted()));
        Assert.Throws<ArgumentException>(() => new TwiceNamed());
    }
}
