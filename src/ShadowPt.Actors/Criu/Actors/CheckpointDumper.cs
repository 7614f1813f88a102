using ShadowPt.Runtime.Actors;
using ShadowPt.Runtime.Async;

namespace ShadowPt.Criu;

/// <summary>What a checkpoint run did: pages per dump, the memory at freeze and after restore, errors.</summary>
public sealed class CheckpointReport
{
    /// <summary>Pages whose contents each dump wrote, in order (the first is the full dump).</summary>
    public List<int> PagesPerDump { get; } = new();

    /// <summary>Pages each dump listed (present or swapped), in order.</summary>
    public List<int> PagesListedPerDump { get; } = new();

    /// <summary>Bytes written to the image store.</summary>
    public long ImageBytes { get; set; }

    /// <summary>The tick the freeze began and the tick the task was frozen.</summary>
    public long FreezeStartTick { get; set; } = -1;

    public long FrozenTick { get; set; } = -1;

    /// <summary>The source's memory at freeze (taken inside the final dump's collection, the task frozen).</summary>
    public MemorySnapshot? SourceAtFreeze { get; set; }

    /// <summary>The restored process's memory when its restorer finished.</summary>
    public MemorySnapshot? Restored { get; set; }

    /// <summary>Pages the restorer wrote.</summary>
    public long PagesRestored { get; set; }

    /// <summary>A dump, image or restore failure, in one line; null when all went well.</summary>
    public string? Error { get; set; }

    public bool Done { get; set; }
}

/// <summary>
/// <c>criu pre-dump --track-mem</c> (a full dump, then incremental ones of the soft-dirty pages, each with
/// the previous as parent), then <c>criu dump</c> with the task frozen, and <c>criu restore</c> into a new
/// process: the images go through the image store (a directory or memory) and are read back
/// with every check of an untrusted file.
/// </summary>
public sealed class CheckpointDumper : ReceiveActor
{
    private readonly CriuSession _session;
    private readonly int _preDumps;
    private readonly long _startTicks;
    private readonly long _intervalTicks;
    private readonly ImageStore _store;
    private readonly IActorRef _restoreCpu;
    private readonly int _restoredPid;
    private readonly CheckpointReport _report;

    public CheckpointDumper(IActorRef cpu, int criuPid, int targetPid, int preDumps, long startTicks, long intervalTicks, ImageStore store, IActorRef restoreCpu, int restoredPid, CheckpointReport report)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(preDumps);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(preDumps, ImageCodec.ChainMax - 1);
        _session = new CriuSession(Context, cpu, criuPid, targetPid);
        _preDumps = preDumps;
        _startTicks = startTicks;
        _intervalTicks = intervalTicks;
        _store = store;
        _restoreCpu = restoreCpu;
        _restoredPid = restoredPid;
        _report = report;
        ReceiveAsync<Actors.ProcessActor.Start>(_ => Run());
        Receive<RestoreDone>(done =>
        {
            _report.Restored = done.Snapshot;
            _report.PagesRestored = done.PagesWritten;
            _report.Error ??= done.Error;
            _report.Done = true;
        });
    }

    private async ActorTask Run()
    {
        await Context.Delay(_startTicks);
        string? parent = null;
        for (int i = 1; i <= _preDumps; i++)
        {
            if (!await DumpOne(CriuSession.ImageName(i), parent, final: false))
            {
                return;
            }

            parent = CriuSession.ImageName(i);
            await Context.Delay(_intervalTicks);
        }

        _report.FreezeStartTick = Context.Now.Value;
        if (!await _session.Freeze())
        {
            _report.Error = "the target could not be frozen";
            return;
        }

        _report.FrozenTick = Context.Now.Value;
        string name = CriuSession.ImageName(_preDumps + 1);
        if (!await DumpOne(name, parent, final: true))
        {
            return;
        }

        RestorePlan plan;
        try
        {
            plan = RestorePlan.Load(_store, name);
        }
        catch (CheckpointImageException e)
        {
            _report.Error = e.Message;
            return;
        }

        IActorRef restorer = Context.ActorOf(Props.Create(() => new RestorerActor(_restoreCpu, _restoredPid, plan)), "restorer");
        restorer.Tell(Actors.ProcessActor.Start.Instance, Self);
    }

    private async ActorTask<bool> DumpOne(string name, string? parent, bool final)
    {
        (CheckpointImage Image, MemorySnapshot? Snapshot)? dump = await _session.Dump(name, parent, final);
        if (dump is not { } d)
        {
            _report.Error = $"dump {name}: the target is gone";
            return false;
        }

        _report.PagesPerDump.Add(d.Image.PagesWritten);
        _report.PagesListedPerDump.Add(d.Image.Pages.Count);
        _report.ImageBytes += ImageCodec.Write(_store, d.Image);
        if (final)
        {
            _report.SourceAtFreeze = d.Snapshot;
        }

        return true;
    }
}
