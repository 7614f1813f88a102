using ShadowPt.Runtime.Async;

namespace ShadowPt.Runtime.Actors;

/// <summary>Stop the receiving actor (sent by Stop and by a stopping parent).</summary>
internal sealed class TerminateMessage
{
    public static TerminateMessage Instance { get; } = new();

    private TerminateMessage()
    {
    }
}

/// <summary>A watched actor stopped; the watcher turns it into <see cref="Terminated"/>.</summary>
internal sealed record DeathWatchNotification(ActorCell Stopped) : ITraceable
{
    public ulong TraceFingerprint => Recording.TraceHash.OfString(Stopped.Path);
}

/// <summary>A reply to an ask after its first one (which travels as the <see cref="PendingAsk"/> itself), routed to the asking actor on its reply channel.</summary>
internal sealed record AskReply(PendingAsk Pending, object Message);

/// <summary>Resumes a suspended async handler (after a yield or a delay); the continuation is a box or an action (see <see cref="Async.Continuation"/>).</summary>
internal sealed record Resume(object Continuation);
