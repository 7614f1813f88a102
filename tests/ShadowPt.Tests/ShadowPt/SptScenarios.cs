using ShadowPt.Actors;
using ShadowPt.Kernel;
using ShadowPt.Kernel.Programs;
using ShadowPt.Runtime;
using ShadowPt.Runtime.Actors;
using ShadowPt.Scenarios;
using ShadowPt.Scenarios.BuiltIn;
using ShadowPt.Spt;

namespace ShadowPt.Tests.Spt;

/// <summary>Scenarios of the spec's setting (target process and inspector actors) that the tests run over many seeds.</summary>
internal static class SptScenarios
{
    /// <summary>Pages of <see cref="ShadowPtScenario.Tracked"/>: the lines the inspector prints per tick.</summary>
    public static int TrackedPages => (int)((ShadowPtScenario.Tracked.End - ShadowPtScenario.Tracked.Start) / PageGeometry.PageSize);

    /// <summary>
    /// A target that keeps its address space busy from several CPUs at once: it maps, writes, forks
    /// three children (CPUs 1 to 3 of 4) that write (copy-on-write) and unmap shared pages while the
    /// target itself writes, reads the zero page, grows its stack by two pages at once, unmaps, drops
    /// and write-protects pages inside the tracked range.
    /// </summary>
    public static ProcessProgram BusyTarget()
    {
        var rw = Prot.Read | Prot.Write;
        ProgramBuilder b = new ProgramBuilder("busy-target", "maps, writes, forks three writers, grows its stack and unmaps inside the tracked range")
            .Mmap("heap", 8, rw)
            .Mmap("stack", 2, rw, MapFlags.Private | MapFlags.Anonymous | MapFlags.GrowsDown)
            .Write("heap", 0, 1).Write("heap", 1, 2).Write("heap", 2, 3).Write("heap", 3, 4)
            .Write("stack", 1, 5)
            .Fork(out ProcessId c1).Fork(out ProcessId c2).Fork(out ProcessId c3)
            .Write("heap", 0, 0x10, by: c1).Think(1).Write("heap", 1, 0x11, by: c1).Munmap("heap", 4, 2, by: c1).Exit(c1)
            .Write("heap", 2, 0x20, by: c2).Read("heap", 6, by: c2).Think(1).Write("heap", 3, 0x21, by: c2).Exit(c2)
            .Write("heap", 1, 0x30, by: c3).Think(2).MadviseDontneed("heap", 0, 2, by: c3).Exit(c3)
            .Write("heap", 0, 0x40).Think(1).Write("heap", 2, 0x41).Read("heap", 5)
            .Write("stack", -2, 0x42)
            .Think(1).Munmap("heap", 6, 1).MadviseDontneed("heap", 1, 1).Mprotect("heap", 3, 1, Prot.Read)
            .Think(1).Write("heap", 7, 0x43).Write("heap", 1, 0x44).Read("heap", 4);
        return b.Build();
    }

    /// <summary>The busy target on 4 CPUs with an inspector reading the tracked range every tick.</summary>
    public static ShadowPtScenario Busy(int ticks = 12, params string[] variants) => new(
        "busy",
        new MachineConfig { Cpus = 4, Frames = 1024, Variants = new HashSet<string>(variants, StringComparer.Ordinal) },
        BusyTarget(),
        pid => new InspectorSpec { TargetPid = pid, StartVaddr = ShadowPtScenario.Tracked.Start.Value, EndVaddr = ShadowPtScenario.Tracked.End.Value, PeriodTicks = 1, Ticks = ticks });

    /// <summary>Lines a complete inspector run prints: open, start, a header and one line per page each tick, stop, close.</summary>
    public static int ExpectedLines(int ticks) => 2 + (ticks * (1 + TrackedPages)) + 2;

    public static RunReport Run(Scenario scenario, ulong seed) => ScenarioRunner.Run(() => scenario, new RunOptions { Seed = seed, StepsMax = 200_000 });

    /// <summary>Frames of kernel memory left allocated (a shadow table's).</summary>
    public static int KernelFrames(KernelState state) =>
        Enumerable.Range(0, state.Frames.FrameCount).Count(p => state.Frames.Kind(new Pfn((ulong)p)) == FrameKind.Kernel);

    /// <summary>Notifiers registered on any mm.</summary>
    public static int Notifiers(KernelState state) => state.Mms.Sum(m => m.Notifiers.Count);

    /// <summary>The shadow table's state, for assertions.</summary>
    public static SptState Table(KernelState state) => state.Extension<SptState>();

    /// <summary>Runs <paramref name="inner"/> and kills its target (pid 1, on CPU 0) after <paramref name="delayTicks"/>, wherever it is.</summary>
    public static Scenario KillingTarget(ShadowPtScenario inner, long delayTicks) => new KillTargetScenario(inner, delayTicks);

    private sealed class KillTargetScenario(ShadowPtScenario inner, long delayTicks) : Scenario
    {
        public override string Name => inner.Name + "-kill";

        public override string Summary => inner.Summary + "; the target is killed";

        public override void Setup(ActorSystem system)
        {
            inner.Setup(system);
            Machine machine = inner.Machine!;
            IActorRef killer = system.ActorOf(Props.Create(() => new Killer(machine, 0, 1, delayTicks)), "killer");
            killer.Tell(ProcessActor.Start.Instance, null);
        }

        public override Violation? CheckEnd(ActorSystem system) => inner.CheckEnd(system);

        public override IEnumerable<string> Describe(ActorSystem system) => inner.Describe(system);
    }

    /// <summary>After a delay, makes a task exit on its CPU between two of its operations (a SIGKILL from outside).</summary>
    private sealed class Killer : ReceiveActor
    {
        public Killer(Machine machine, int cpu, int pid, long delayTicks)
        {
            ReceiveAsync<ProcessActor.Start>(async _ =>
            {
                await Context.Delay(delayTicks);
                await machine.Cpus[cpu].AskUser(Context, pid, new SyscallOp(new ExitCall(128 + 9)));
            });
        }
    }
}
