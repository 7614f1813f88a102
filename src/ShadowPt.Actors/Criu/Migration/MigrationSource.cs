using ShadowPt.Runtime.Actors;
using ShadowPt.Runtime.Async;

namespace ShadowPt.Criu;

/// <summary>
/// An image on its way to the page server; a post-copy one lists the <paramref name="LazyPages"/> to fetch
/// on fault from <paramref name="Source"/>.
/// </summary>
public sealed record ImageTransfer(CheckpointImage Image, IReadOnlyList<ulong>? LazyPages = null, IActorRef? Source = null);

/// <summary>The page server stored image <see cref="Name"/> (and, for a final one, restored and resumed the process).</summary>
public sealed record ImageAck(string Name);

/// <summary>
/// The source side of a live migration: CRIU on the source machine, running as its own process, dumping
/// the target and sending each image over the link to the page server on the destination.
/// The <see cref="IMigrationMode"/> decides when to dump, freeze and stop.
/// </summary>
public sealed class MigrationSource : ReceiveActor, IMigrationSource
{
    private readonly CriuSession _session;
    private readonly IMigrationMode _mode;
    private readonly IActorRef _link;
    private readonly IActorRef _pageServer;
    private readonly long _startTicks;

    /// <summary>The name of the last image sent (the parent of the next).</summary>
    private string? _parent;

    /// <summary>Post-copy: the pages already read for the destination.</summary>
    private readonly HashSet<ulong> _served = new();

    public MigrationSource(IActorRef cpu, int criuPid, int targetPid, IMigrationMode mode, IActorRef link, IActorRef pageServer, MigrationReport report, long startTicks)
    {
        ArgumentNullException.ThrowIfNull(mode);
        ArgumentNullException.ThrowIfNull(report);
        _session = new CriuSession(Context, cpu, criuPid, targetPid);
        _mode = mode;
        _link = link;
        _pageServer = pageServer;
        _startTicks = startTicks;
        Report = report;
        ReceiveAsync<Actors.ProcessActor.Start>(_ => Run());
        ReceiveAsync<PageRequest>(Serve);
    }

    public MigrationReport Report { get; }

    public long NowTick => Context.Now.Value;

    public ActorTask<int> CountDirty() => _session.CountDirty();

    public ActorTask<bool> Freeze() => _session.Freeze();

    public async ActorTask<int> DumpAndSend(int index, bool final)
    {
        string name = CriuSession.ImageName(index);
        (CheckpointImage Image, MemorySnapshot? Snapshot)? dump = await _session.Dump(name, _parent, final);
        if (dump is not { } d)
        {
            return -1;
        }

        if (final)
        {
            Report.SourceAtFreeze = d.Snapshot;
        }

        await Context.Ask<ImageAck>(_link, new LinkSend(new ImageTransfer(d.Image), d.Image.PagesWritten, _pageServer));
        _parent = name;
        return d.Image.PagesWritten;
    }

    public async ActorTask<int> DumpLayoutAndSend(int index)
    {
        string name = CriuSession.ImageName(index);
        (CheckpointImage Image, MemorySnapshot? Snapshot, IReadOnlyList<ulong> Lazy)? dump = await _session.DumpLayout(name);
        if (dump is not { } d)
        {
            return -1;
        }

        Report.SourceAtFreeze = d.Snapshot;
        Report.LazyPages = d.Lazy.Count;
        await Context.Ask<ImageAck>(_link, new LinkSend(new ImageTransfer(d.Image, d.Lazy, Self), 0, _pageServer));
        _parent = name;
        return d.Lazy.Count;
    }

    /// <summary>A lazy-pages request from the destination: read the page of the frozen target and send it back.</summary>
    private async ActorTask Serve(PageRequest request)
    {
        if (!_served.Add(request.Address))
        {
            Report.DuplicateRequests++;
        }

        byte[]? contents = await _session.ReadPage(request.Address);
        _link.Tell(new LinkSend(new PageData(request.Address, contents), 1, request.ReplyTo), Self);
    }

    private async ActorTask Run()
    {
        await Context.Delay(_startTicks);
        await _mode.Run(this);
    }
}
