using System.Globalization;
using ShadowPt.Actors;
using ShadowPt.Kernel;
using ShadowPt.Kernel.WriteTracking;
using ShadowPt.Runtime;

namespace ShadowPt.Scenarios.BuiltIn;

/// <summary>
/// The built-in <c>write-tracking</c> scenario: the same workload runs in three processes on one 3-CPU
/// machine, each tracked a different way (mprotect + SIGSEGV handler, soft-dirty, userfaultfd WP), each
/// with a child writing on CPU 1 while its tracker is set up. The trackers run on CPUs 0 and 1; the
/// userfaultfd monitor has CPU 2 to itself, as a task blocked in read() or in a userfault keeps its CPU
/// in the model (the kernel is not preemptible here), so a monitor sharing its target's CPU would never run. At the end the three sets of
/// written pages must be equal, and equal to the pages the workload's program writes.
/// </summary>
public sealed class WriteTrackingScenario : Scenario, IMachineScenario
{
    public const string BuiltInName = "write-tracking";

    /// <summary>The three processes' scenario, which boots the machine and runs the usual checks.</summary>
    private readonly ShadowPtScenario _inner;

    public WriteTrackingScenario(WriteTrackWorkload workload, IReadOnlyList<IWriteTracker> trackers, string name = BuiltInName, ulong seed = 6)
    {
        ArgumentNullException.ThrowIfNull(workload);
        ArgumentNullException.ThrowIfNull(trackers);
        ArgumentOutOfRangeException.ThrowIfZero(trackers.Count);
        Workload = workload;
        Trackers = trackers;
        var machine = new MachineConfig { Cpus = 3, Frames = 1024, MemSoftDirty = trackers.Any(t => t.NeedsSoftDirty) };
        _inner = new ShadowPtScenario(new ScenarioDefinition
        {
            Name = name,
            Description = "3 CPUs: one workload in three processes, its writes tracked with mprotect + a SIGSEGV handler, with soft-dirty and with userfaultfd WP, while a child of each writes on the other CPU; the three sets of written pages must agree",
            Seed = seed,
            Machine = machine,
            Processes = [.. trackers.Select((t, i) => new ProcessDefinition(WriteTrackWorkload.ProgramName(t), i % 2, false, workload.Program(t), workload.Placement, false))],
            Inspectors = [],
            Monitors = [() => new Checking.UserfaultResolvedMonitor()],
        });
    }

    /// <summary>The built-in's workload: two mappings; the tracked phase writes some pages (some twice) and only reads others.</summary>
    public static WriteTrackWorkload DefaultWorkload() => new(
        "default",
        [new WorkloadMapping("a", 4), new WorkloadMapping("b", 3)],
        [
            new WorkloadAccess("a", 1, true, 0x11), new WorkloadAccess("a", 0, false), new WorkloadAccess("b", 2, true, 0x12, ThinkTicks: 1),
            new WorkloadAccess("a", 1, true, 0x13), new WorkloadAccess("b", 1, false), new WorkloadAccess("a", 3, true, 0x14),
            new WorkloadAccess("b", 0, true, 0x15, ThinkTicks: 1), new WorkloadAccess("a", 2, false),
        ],
        [new WorkloadAccess("a", 0, true, 0x21), new WorkloadAccess("b", 1, true, 0x22), new WorkloadAccess("a", 2, true, 0x23, ThinkTicks: 1)]);

    /// <summary>A fresh instance of the built-in.</summary>
    public static WriteTrackingScenario Create() => new(DefaultWorkload(), WriteTrackers.All);

    public WriteTrackWorkload Workload { get; }

    public IReadOnlyList<IWriteTracker> Trackers { get; }

    public override string Name => _inner.Name;

    public override string Summary => _inner.Summary;

    public override ulong DefaultSeed => _inner.DefaultSeed;

    public override IReadOnlySet<string> Checks => _inner.Checks;

    public Machine? Machine => _inner.Machine;

    public override void SelectChecks(IReadOnlySet<string> checks) => _inner.SelectChecks(checks);

    public override void Setup(ActorSystem system) => _inner.Setup(system);

    public override string? SharedStateGroup(string actorPath) => _inner.SharedStateGroup(actorPath);

    /// <summary>Each tracker's set of written pages; the machine must be quiescent (after the run).</summary>
    public IReadOnlyList<(IWriteTracker Tracker, IReadOnlyList<VirtAddr> Pages)> Results()
    {
        Machine machine = _inner.Machine ?? throw new InvalidOperationException("the scenario has not run");
        return [.. Trackers.Select(t => (t, t.WrittenPages(machine, TrackedPid(machine, t), Workload)))];
    }

    public override Violation? CheckEnd(ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        Violation? inner = _inner.CheckEnd(system);
        if (inner is not null)
        {
            return inner;
        }

        IReadOnlyList<VirtAddr> expected = Workload.WrittenPages();
        foreach ((IWriteTracker tracker, IReadOnlyList<VirtAddr> pages) in Results())
        {
            if (!pages.SequenceEqual(expected))
            {
                return new Violation("write-tracking-mismatch", $"{tracker.Name} reported {Format(pages)}, the workload wrote {Format(expected)}", system.Steps, system.Now);
            }
        }

        return null;
    }

    public override IEnumerable<string> Describe(ActorSystem system)
    {
        if (_inner.Machine is null)
        {
            return [];
        }

        return [$"written by the workload: {Format(Workload.WrittenPages())}", .. Results().Select(r => $"{r.Tracker.Name,-10} reports: {Format(r.Pages)}")];
    }

    /// <summary>The tracked process of <paramref name="tracker"/>: the first task with its program's name (children share the comm).</summary>
    private static int TrackedPid(Machine machine, IWriteTracker tracker)
    {
        string comm = WriteTrackWorkload.ProgramName(tracker);
        return machine.State.Tasks.First(t => t.Comm == comm).Pid;
    }

    private static string Format(IReadOnlyList<VirtAddr> pages) =>
        pages.Count == 0 ? "{}" : "{" + string.Join(", ", pages.Select(p => p.Value.ToString("x", CultureInfo.InvariantCulture))) + "}";
}
