using System.Globalization;
using ShadowPt.Actors;
using ShadowPt.Criu;
using ShadowPt.Kernel;
using ShadowPt.Runtime;
using ShadowPt.Runtime.Actors;

namespace ShadowPt.Scenarios.BuiltIn.Criu;

/// <summary>
/// migrate-precopy: two machines in one actor system (the destination's actors are <c>dst-mm</c>,
/// <c>dst-cpuN</c>) joined by two network links (pages per tick, latency in ticks). A target on the
/// source writes 64 pages once and then a hot set of 8, one write per tick, while CRIU on the source's
/// other CPU sends every page, then the dirtied ones round after round, until few are dirty; freezes the
/// target, sends the rest, and the page server on the destination restores it into a new process that
/// resumes the workload. The destination's memory at resume must equal the source's at freeze.
/// </summary>
public sealed class MigrationScenario(string name = MigrationScenario.DefaultName) : CriuScenarioBase
{
    public const string DefaultName = "migrate-precopy";

    public static readonly VirtAddr DataAt = new(0x30000000);

    public static MutatorSpec Workload { get; } = new(DataAt, Pages: 64, HotPages: 8, Writes: 400);

    /// <summary>The link's bandwidth.</summary>
    public int BandwidthPagesPerTick { get; init; } = 8;

    public long LatencyTicks { get; init; } = 1;

    /// <summary>Freeze once at most this many pages are dirty.</summary>
    public int ThresholdPages { get; init; } = 4;

    public int RoundsMax { get; init; } = 5;

    /// <summary>The tick the migration starts (after the workload's first pass).</summary>
    public long StartTicks { get; init; } = 70;

    /// <summary>The workload's writes on the destination after it resumed.</summary>
    public int ResumedWrites { get; init; } = 8;

    public MigrationReport Report { get; private set; } = new();

    public int SourcePid { get; private set; }

    public override string Name => name;

    public override string Summary => "pre-copy live migration between two machines over a simulated link: copy while the target writes, resend dirtied (soft-dirty) pages until few remain, freeze, send the rest, resume on the destination; reports pages per round and freeze ticks";

    public override void Setup(ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        CriuSyscalls.Register();
        Report = new MigrationReport();
        var config = new MachineConfig { Cpus = 2, Frames = 512, MemSoftDirty = true };
        Machine source = Actors.Machine.Boot(system, config);
        Machine destination = Actors.Machine.Boot(system, config, namePrefix: "dst-");
        Watch(system, source);
        Watch(system, destination);
        SourcePid = source.CreateProcess("target");
        int criu = source.CreateProcess("criu", superuser: true);
        int restored = destination.CreateProcess("target");
        ImageStore store = ImageDirectory is null ? new MemoryImageStore() : new DirectoryImageStore(ImageDirectory);
        int bandwidth = BandwidthPagesPerTick;
        long latency = LatencyTicks;
        IActorRef linkOut = system.ActorOf(Props.Create(() => new NetworkLink(bandwidth, latency)), "link-out");
        IActorRef linkBack = system.ActorOf(Props.Create(() => new NetworkLink(bandwidth, latency)), "link-back");
        MigrationReport report = Report;
        MutatorSpec resume = Workload with { FirstWrite = Workload.Pages, Writes = ResumedWrites, MapFirst = false };
        IActorRef pageServer = system.ActorOf(
            Props.Create(() => new PageServer(destination.Cpus[0], restored, store, linkBack, report, ResumedWrites > 0 ? resume : null)), "page-server");
        int target = SourcePid;
        IMigrationMode mode = new PreCopyMigration(ThresholdPages, RoundsMax);
        long start = StartTicks;
        IActorRef migrate = system.ActorOf(
            Props.Create(() => new MigrationSource(source.Cpus[1], criu, target, mode, linkOut, pageServer, report, start)), "criu");
        IActorRef workload = system.ActorOf(Props.Create(() => new Mutator(source.Cpus[0], target, Workload)), "target");
        workload.Tell(ProcessActor.Start.Instance, null);
        migrate.Tell(ProcessActor.Start.Instance, null);
    }

    protected override Violation? CheckOutcome(ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        MigrationReport r = Report;
        if (r.Error is not null)
        {
            return Fail(system, "migration-failed", r.Error);
        }

        if (r.SourceAtFreeze is null || r.DestinationAtResume is null)
        {
            return Fail(system, "migration-incomplete", "the run ended before the destination resumed");
        }

        if (r.SourceAtFreeze.Difference(r.DestinationAtResume) is string differs)
        {
            return Fail(system, "migration-mismatch", "the destination at resume differs from the source at freeze: " + differs);
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

        if (Report.SourceAtFreeze is not null && Report.DestinationAtResume is not null)
        {
            string verdict = Report.SourceAtFreeze.Difference(Report.DestinationAtResume) is null ? "equal to" : "DIFFERENT from";
            yield return string.Create(CultureInfo.InvariantCulture, $"migration: destination memory at resume {verdict} the source at freeze ({Report.DestinationAtResume.Pages.Count} non-zero pages, fingerprint {Report.DestinationAtResume.Fingerprint():x16}); link {BandwidthPagesPerTick} pages/tick, latency {LatencyTicks} ticks, threshold {ThresholdPages} pages, at most {RoundsMax} rounds");
        }
    }
}
