using System.Globalization;
using ShadowPt.Actors;
using ShadowPt.Criu;
using ShadowPt.Kernel;
using ShadowPt.Runtime;
using ShadowPt.Runtime.Actors;

namespace ShadowPt.Scenarios.BuiltIn.Criu;

/// <summary>
/// checkpoint: a target on CPU0 keeps writing its pages while CRIU on CPU1 takes a full dump, then
/// incremental dumps of the soft-dirty pages (each clears soft-dirty for the next), freezes the target,
/// takes the final dump, and restores it into a new process. At the end the restored memory must equal
/// the source's at freeze (the snapshot taken inside the final dump's collection, the task frozen), and
/// the frozen source must not have changed since.
/// </summary>
public sealed class CheckpointScenario(string name = CheckpointScenario.DefaultName) : CriuScenarioBase
{
    public const string DefaultName = "checkpoint";

    /// <summary>Where the target's data is mapped.</summary>
    public static readonly VirtAddr DataAt = new(0x20000000);

    /// <summary>The workload: 16 pages written once, then a hot set of 3, one write per tick.</summary>
    public static MutatorSpec Workload { get; } = new(DataAt, Pages: 16, HotPages: 3, Writes: 200);

    /// <summary>Incremental dumps before the final one (the first is full).</summary>
    public int PreDumps { get; init; } = 3;

    /// <summary>The tick the first dump starts.</summary>
    public long StartTicks { get; init; } = 12;

    /// <summary>Ticks between dumps.</summary>
    public long IntervalTicks { get; init; } = 5;

    /// <summary>Bug variants of the machine (<see cref="CriuKernel.SplitCollectVariant"/>).</summary>
    public IReadOnlySet<string> Variants { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>What the run did; after it ends.</summary>
    public CheckpointReport Report { get; private set; } = new();

    /// <summary>The target's and the restored process's pids.</summary>
    public int TargetPid { get; private set; }

    public int RestoredPid { get; private set; }

    public override string Name => name;

    public override string Summary => "CRIU-style checkpoint: a full dump, incremental dumps of soft-dirty pages while the target writes on the other CPU, a frozen final dump, restore into a new process that must equal the source at freeze";

    public override ulong DefaultSeed => 1;

    public override void Setup(ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        CriuSyscalls.Register();
        Report = new CheckpointReport();
        Machine machine = Actors.Machine.Boot(system, new MachineConfig { Cpus = 2, Frames = 512, MemSoftDirty = true, Variants = Variants });
        Watch(system, machine);
        TargetPid = machine.CreateProcess("target");
        int criu = machine.CreateProcess("criu", superuser: true);
        RestoredPid = machine.CreateProcess("restored");
        ImageStore store = ImageDirectory is null ? new MemoryImageStore() : new DirectoryImageStore(ImageDirectory);
        IActorRef target = system.ActorOf(Props.Create(() => new Mutator(machine.Cpus[0], TargetPid, Workload)), "target");
        int targetPid = TargetPid;
        int restoredPid = RestoredPid;
        CheckpointReport report = Report;
        IActorRef dumper = system.ActorOf(
            Props.Create(() => new CheckpointDumper(machine.Cpus[1], criu, targetPid, PreDumps, StartTicks, IntervalTicks, store, machine.Cpus[1], restoredPid, report)),
            "criu");
        target.Tell(ProcessActor.Start.Instance, null);
        dumper.Tell(ProcessActor.Start.Instance, null);
    }

    protected override Violation? CheckOutcome(ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        CheckpointReport r = Report;
        if (r.Error is not null)
        {
            return Fail(system, "checkpoint-failed", r.Error);
        }

        if (!r.Done || r.SourceAtFreeze is null || r.Restored is null)
        {
            return Fail(system, "checkpoint-incomplete", "the run ended before the restore finished");
        }

        if (r.SourceAtFreeze.Difference(r.Restored) is string restored)
        {
            return Fail(system, "checkpoint-mismatch", "the restored process differs from the source at freeze: " + restored);
        }

        MemorySnapshot? now = MemorySnapshot.Of(Machines[0].State, TargetPid);
        if (now is null || r.SourceAtFreeze.Difference(now) is string changed)
        {
            return Fail(system, "frozen-task-changed", "the frozen source changed after the final dump: " + (now is null ? "it is gone" : r.SourceAtFreeze.Difference(now)));
        }

        return null;
    }

    public override IEnumerable<string> Describe(ActorSystem system)
    {
        CheckpointReport r = Report;
        yield return string.Create(CultureInfo.InvariantCulture, $"checkpoint: dumps {r.PagesPerDump.Count} (1 full, {Math.Max(0, r.PagesPerDump.Count - 2)} incremental pre-dumps, 1 final), pages written per dump: {string.Join(", ", r.PagesPerDump)} (listed: {string.Join(", ", r.PagesListedPerDump)})");
        yield return string.Create(CultureInfo.InvariantCulture, $"checkpoint: image bytes {r.ImageBytes}{(ImageDirectory is null ? " (in memory)" : " in " + ImageDirectory)}");
        yield return string.Create(CultureInfo.InvariantCulture, $"checkpoint: freeze asked at tick {r.FreezeStartTick}, frozen at tick {r.FrozenTick}");
        if (r.Restored is not null && r.SourceAtFreeze is not null)
        {
            string verdict = r.SourceAtFreeze.Difference(r.Restored) is null ? "equal to" : "DIFFERENT from";
            yield return string.Create(CultureInfo.InvariantCulture, $"checkpoint: restored pid {RestoredPid}: {r.PagesRestored} pages written, memory {verdict} the source at freeze ({r.Restored.Pages.Count} non-zero pages, fingerprint {r.Restored.Fingerprint():x16})");
        }
    }
}
