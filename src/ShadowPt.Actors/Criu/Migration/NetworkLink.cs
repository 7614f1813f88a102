using ShadowPt.Runtime;
using ShadowPt.Runtime.Actors;

namespace ShadowPt.Criu;

/// <summary>Send <see cref="Payload"/> of <see cref="Pages"/> pages over a link to <see cref="To"/>; the link keeps the sender as the reply address.</summary>
public sealed record LinkSend(object Payload, int Pages, IActorRef To) : ITraceable
{
    public ulong TraceFingerprint => ((ulong)(uint)Pages << 32) ^ (ulong)Payload.GetType().Name.Length;
}

/// <summary>
/// A one-way network link between two machines: <see cref="BandwidthPagesPerTick"/> pages per tick,
/// then <see cref="LatencyTicks"/> ticks on the wire. Messages leave in arrival order, one after the
/// other (a message waits for the ones before it to be sent), and arrive in that order: the link keeps a
/// "busy until" tick and delivers each message with a timer to itself, so timing is deterministic.
/// </summary>
public sealed class NetworkLink : ReceiveActor
{
    /// <summary>Most messages on the wire at once.</summary>
    public const int InFlightMax = 1024;

    /// <summary>The tick the link finishes sending what it was given.</summary>
    private long _busyUntilTick;

    private int _inFlight;

    public NetworkLink(int bandwidthPagesPerTick, long latencyTicks)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bandwidthPagesPerTick);
        ArgumentOutOfRangeException.ThrowIfNegative(latencyTicks);
        BandwidthPagesPerTick = bandwidthPagesPerTick;
        LatencyTicks = latencyTicks;
        Receive<LinkSend>(send =>
        {
            Kernel.Bug.On(_inFlight >= InFlightMax, "network link: too many messages in flight");
            long now = Context.Now.Value;
            long start = Math.Max(now, _busyUntilTick);
            long transmit = (send.Pages + BandwidthPagesPerTick - 1) / BandwidthPagesPerTick;
            _busyUntilTick = start + transmit;
            PagesSent += send.Pages;
            _inFlight++;
            Context.ScheduleTellOnce(_busyUntilTick + LatencyTicks - now, Self, new Arrive(send.Payload, send.To, Sender));
        });
        Receive<Arrive>(arrive =>
        {
            _inFlight--;
            arrive.To.Tell(arrive.Payload, arrive.ReplyTo);
        });
    }

    public int BandwidthPagesPerTick { get; }

    public long LatencyTicks { get; }

    /// <summary>Pages the link carried.</summary>
    public long PagesSent { get; private set; }

    /// <summary>A message leaving the wire.</summary>
    private sealed record Arrive(object Payload, IActorRef To, IActorRef? ReplyTo);
}
