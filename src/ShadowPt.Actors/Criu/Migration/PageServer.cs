using ShadowPt.Kernel;
using ShadowPt.Runtime.Actors;

namespace ShadowPt.Criu;

/// <summary>
/// The destination side of a live migration (CRIU's page server, then <c>criu restore</c>): stores each
/// image it receives, acknowledges it over the back link, and on the final image restores the process
/// on the destination machine (the images read back with every check of an untrusted file) and resumes
/// its workload there. The resume tick ends the freeze window.
/// </summary>
/// <remarks>
/// Post-copy: a final image that lists lazy pages is restored layout only (the restorer maps the VMAs,
/// registers them with userfaultfd MISSING and hands the descriptor to the lazy-pages tasks); the process
/// resumes at once and <see cref="LazyPagesDaemon"/> answers each fault with the page it asks the source for.
/// </remarks>
public sealed class PageServer : ReceiveActor
{
    private readonly IActorRef _restoreCpu;
    private readonly int _restoredPid;
    private readonly ImageStore _store;
    private readonly IActorRef _backLink;
    private readonly MigrationReport _report;
    private readonly MutatorSpec? _resume;
    private readonly LazyPagesSetup? _lazy;

    /// <summary>Post-copy: the pages to fetch and the source to fetch them from (null for pre-copy).</summary>
    private ImageTransfer? _lazyTransfer;

    /// <summary>Where the final image's acknowledgement goes once the process resumed.</summary>
    private IActorRef? _finalReplyTo;

    private string? _finalName;

    public PageServer(IActorRef restoreCpu, int restoredPid, ImageStore store, IActorRef backLink, MigrationReport report, MutatorSpec? resume, LazyPagesSetup? lazy = null)
    {
        _lazy = lazy;
        _restoreCpu = restoreCpu;
        _restoredPid = restoredPid;
        _store = store;
        _backLink = backLink;
        _report = report;
        _resume = resume;
        Receive<ImageTransfer>(Store);
        Receive<RestoreDone>(Resumed);
    }

    private void Store(ImageTransfer transfer)
    {
        CheckpointImage image = transfer.Image;
        ImageCodec.Write(_store, image);
        if (!image.Final)
        {
            _backLink.Tell(new LinkSend(new ImageAck(image.Name), 0, Sender), Self);
            return;
        }

        _finalReplyTo = Sender;
        _finalName = image.Name;
        RestorePlan plan;
        try
        {
            plan = RestorePlan.Load(_store, image.Name);
        }
        catch (CheckpointImageException e)
        {
            _report.Error = e.Message;
            _backLink.Tell(new LinkSend(new ImageAck(image.Name), 0, Sender), Self);
            return;
        }

        int[]? lazyPids = null;
        if (transfer.LazyPages is not null)
        {
            if (_lazy is null || transfer.Source is null)
            {
                _report.Error = "page server: a post-copy image but no lazy-pages setup";
                _backLink.Tell(new LinkSend(new ImageAck(image.Name), 0, Sender), Self);
                return;
            }

            _lazyTransfer = transfer;
            lazyPids = [_lazy.DaemonPid];
        }

        IActorRef restorer = Context.ActorOf(Props.Create(() => new RestorerActor(_restoreCpu, _restoredPid, plan, lazyPids)), "restorer");
        restorer.Tell(Actors.ProcessActor.Start.Instance, Self);
    }

    private void Resumed(RestoreDone done)
    {
        _report.ResumeTick = Context.Now.Value;
        _report.DestinationAtResume = done.Snapshot;
        _report.DestinationPid = done.Pid;
        _report.Error ??= done.Error;
        if (done.Error is null && _lazyTransfer is { LazyPages: { } pages, Source: { } source } && _lazy is { } setup)
        {
            IActorRef backLink = _backLink;
            MigrationReport report = _report;
            IActorRef daemon = Context.ActorOf(
                Props.Create(() => new LazyPagesDaemon(setup.DaemonCpu, setup.DaemonPid, pages, source, backLink, report, setup.PushWindow, setup.PushAfterIdleTicks, setup.ForgetWake, setup.AskEveryFault)), "lazy-pages");
            daemon.Tell(Actors.ProcessActor.Start.Instance, Self);
        }

        if (done.Error is null && _resume is not null)
        {
            int pid = _restoredPid;
            MutatorSpec spec = _resume;
            IActorRef cpu = _restoreCpu;
            IActorRef resumed = Context.ActorOf(Props.Create(() => new Mutator(cpu, pid, spec)), "resumed");
            resumed.Tell(Actors.ProcessActor.Start.Instance, Self);
        }

        Bug.On(_finalReplyTo is null, "page server: a restore finished without a final image");
        _backLink.Tell(new LinkSend(new ImageAck(_finalName!), 0, _finalReplyTo!), Self);
    }
}
