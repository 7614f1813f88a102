using System.Globalization;
using ShadowPt.Actors;
using ShadowPt.Checking;
using ShadowPt.Criu;
using ShadowPt.Kernel;
using ShadowPt.Runtime;
using ShadowPt.Runtime.Actors;

namespace ShadowPt.Scenarios.BuiltIn.Criu;

/// <summary>
/// migrate-postcopy: the workload and the two machines of <see cref="MigrationScenario"/> (the lazy-pages
/// task on the destination's second CPU), migrated post-copy: CRIU freezes the target at once and
/// sends its layout; the destination restores the VMAs only, registers them with userfaultfd (MISSING),
/// and resumes the workload, whose faults wait while the page comes over the link; the pages nobody
/// faulted on are fetched in the background. At the end the destination's memory must equal the source's
/// at freeze with the resumed writes applied, every lazy page must have come exactly once, and no task
/// may be left waiting in handle_userfault (the userfaultfd liveness monitor).
/// </summary>
public sealed class PostCopyScenario : CriuScenarioBase
{
    public const string DefaultName = "migrate-postcopy";

    /// <summary>The link's bandwidth.</summary>
    public int BandwidthPagesPerTick { get; init; } = 8;

    public long LatencyTicks { get; init; } = 1;

    /// <summary>The tick the migration starts (the same as pre-copy's).</summary>
    public long StartTicks { get; init; } = 70;

    /// <summary>The workload's writes on the destination after it resumed.</summary>
    public int ResumedWrites { get; init; } = 16;

    /// <summary>Background page requests in flight at once (0: pages come only on fault).</summary>
    public int PushWindow { get; init; } = 4;

    /// <summary>Ticks without a fault before the background push starts.</summary>
    public int PushAfterIdleTicks { get; init; } = 8;

    /// <summary>A seeded bug: the lazy-pages daemon copies with DONTWAKE and never wakes the faulting task.</summary>
    public bool ForgetWake { get; init; }

    /// <summary>A daemon that asks again for a page in flight when a task faults on it (pages come twice, -EEXIST).</summary>
    public bool AskEveryFault { get; init; }

    public MigrationReport Report { get; private set; } = new();

    public int SourcePid { get; private set; }

    public int DestinationPid { get; private set; }

    /// <summary>The destination machine (null before setup).</summary>
    public Machine? Destination => Machines.Count > 1 ? Machines[1] : null;

    /// <summary>The workload the destination resumes.</summary>
    public MutatorSpec Resumed => MigrationScenario.Workload with { FirstWrite = MigrationScenario.Workload.Pages, Writes = ResumedWrites, MapFirst = false };

    /// <summary>The userfaultfd monitors on the destination.</summary>
    public SpecMonitors? Monitors { get; private set; }

    public override string Name => DefaultName;

    /// <summary>The spec monitors run unless the checks selected leave them out.</summary>
    private bool _monitors = true;

    public override IReadOnlySet<string> Checks => _monitors ? new HashSet<string>(base.Checks.Append("monitors"), StringComparer.Ordinal) : base.Checks;

    public override void SelectChecks(IReadOnlySet<string> checks)
    {
        ArgumentNullException.ThrowIfNull(checks);
        base.SelectChecks(checks);
        _monitors = checks.Contains("monitors");
    }

    public override string Summary => "post-copy live migration with userfaultfd: freeze, send the layout, resume on the destination at once; faults fetch their page from the source, the rest is pushed in the background; reports freeze ticks and pages on demand and pushed";

    public override void Setup(ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        CriuSyscalls.Register();
        UffdSyscalls.Install();
        Report = new MigrationReport();
        var config = new MachineConfig { Cpus = 2, Frames = 512, MemSoftDirty = true };
        Machine source = Actors.Machine.Boot(system, config);
        Machine destination = Actors.Machine.Boot(system, config, namePrefix: "dst-");
        Watch(system, source);
        Watch(system, destination);
        if (_monitors)
        {
            SpecMonitors hub = new(system, destination.Events, [new UserfaultResolvedMonitor()]);
            system.AddQuiescentObserver(() => hub.AtQuiescentPoint(destination.State));
            Monitors = hub;
        }

        SourcePid = source.CreateProcess("target");
        int criu = source.CreateProcess("criu", superuser: true);
        DestinationPid = destination.CreateProcess("target");
        int daemon = destination.CreateProcess("lazy-pages", superuser: true);
        ImageStore store = ImageDirectory is null ? new MemoryImageStore() : new DirectoryImageStore(ImageDirectory);
        int bandwidth = BandwidthPagesPerTick;
        long latency = LatencyTicks;
        IActorRef linkOut = system.ActorOf(Props.Create(() => new NetworkLink(bandwidth, latency)), "link-out");
        IActorRef linkBack = system.ActorOf(Props.Create(() => new NetworkLink(bandwidth, latency)), "link-back");
        MigrationReport report = Report;
        MutatorSpec? resume = ResumedWrites > 0 ? Resumed : null;
        var lazy = new LazyPagesSetup(destination.Cpus[1], daemon, PushWindow, PushAfterIdleTicks, ForgetWake, AskEveryFault);
        int restored = DestinationPid;
        IActorRef pageServer = system.ActorOf(
            Props.Create(() => new PageServer(destination.Cpus[0], restored, store, linkBack, report, resume, lazy)), "page-server");
        int target = SourcePid;
        long start = StartTicks;
        IActorRef migrate = system.ActorOf(
            Props.Create(() => new MigrationSource(source.Cpus[1], criu, target, new PostCopyMigration(), linkOut, pageServer, report, start)), "criu");
        IActorRef workload = system.ActorOf(Props.Create(() => new Mutator(source.Cpus[0], target, MigrationScenario.Workload)), "target");
        workload.Tell(ProcessActor.Start.Instance, null);
        migrate.Tell(ProcessActor.Start.Instance, null);
    }

    /// <summary>What the destination must hold at the end: the source at freeze, then the resumed writes.</summary>
    public MemorySnapshot? Expected()
    {
        MutatorSpec spec = Resumed;
        return Report.SourceAtFreeze?.WithWrites(
            Enumerable.Range(spec.FirstWrite, ResumedWrites).Select(i => (spec.Target(i).Value, MutatorSpec.Value(i))));
    }

    protected override Violation? CheckOutcome(ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        MigrationReport r = Report;
        if (Monitors?.AtEnd() is Violation monitor)
        {
            return monitor;
        }

        if (r.Error is not null)
        {
            return Fail(system, "migration-failed", r.Error);
        }

        if (r.SourceAtFreeze is null || r.ResumeTick < 0 || r.CompleteTick < 0)
        {
            return Fail(system, "migration-incomplete", "the run ended before every lazy page reached the destination");
        }

        if (r.DuplicateRequests > 0 || r.PagesOnDemand + r.PagesPushed != r.LazyPages)
        {
            return Fail(system, "migration-pages", string.Create(CultureInfo.InvariantCulture, $"{r.LazyPages} lazy pages but {r.PagesOnDemand} on demand + {r.PagesPushed} pushed, {r.DuplicateRequests} asked twice"));
        }

        MemorySnapshot? destination = MemorySnapshot.Of(Machines[1].State, DestinationPid);
        if (destination is null || Expected()!.Difference(destination) is string differs)
        {
            return Fail(system, "migration-mismatch", "the destination differs from the source at freeze plus the resumed writes: " + (destination is null ? "it has no memory" : Expected()!.Difference(destination)));
        }

        MemorySnapshot? now = MemorySnapshot.Of(Machines[0].State, SourcePid);
        return now is null || r.SourceAtFreeze.Difference(now) is not null
            ? Fail(system, "frozen-task-changed", "the frozen source changed after the final dump")
            : null;
    }

    public override IEnumerable<string> Describe(ActorSystem system)
    {
        foreach (string line in Report.Lines())
        {
            yield return line;
        }

        MemorySnapshot? expected = Expected();
        MemorySnapshot? destination = Machines.Count > 1 ? MemorySnapshot.Of(Machines[1].State, DestinationPid) : null;
        if (expected is not null && destination is not null)
        {
            string verdict = expected.Difference(destination) is null ? "equal to" : "DIFFERENT from";
            yield return string.Create(CultureInfo.InvariantCulture, $"migration: destination memory at the end {verdict} the source at freeze plus the {ResumedWrites} resumed writes ({destination.Pages.Count} non-zero pages, fingerprint {destination.Fingerprint():x16}); link {BandwidthPagesPerTick} pages/tick, latency {LatencyTicks} ticks, push window {PushWindow}");
        }
    }
}
