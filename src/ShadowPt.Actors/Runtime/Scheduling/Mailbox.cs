using System.Collections.Concurrent;
using ShadowPt.Runtime.Actors;

namespace ShadowPt.Runtime.Scheduling;

/// <summary>
/// An actor's mailbox under the threaded scheduler: one lock-free queue per channel kind, drained
/// by at most one thread-pool worker at a time, a bounded batch per turn. FIFO per queue, so FIFO
/// per sender-receiver pair.
/// </summary>
internal sealed class Mailbox : IThreadPoolWorkItem
{
    private const int Idle = 0;
    private const int Scheduled = 1;

    /// <summary>Queues indexed by <see cref="ChannelKind"/>.</summary>
    private readonly ConcurrentQueue<Envelope>[] _queues =
    [
        new ConcurrentQueue<Envelope>(),
        new ConcurrentQueue<Envelope>(),
        new ConcurrentQueue<Envelope>(),
        new ConcurrentQueue<Envelope>(),
    ];

    private readonly ActorCell _cell;
    private readonly ThreadedScheduler _scheduler;

    /// <summary>Idle or Scheduled; a worker owns the mailbox while Scheduled.</summary>
    private int _status;

    /// <summary>Messages queued, for the mailbox bound; counted before the enqueue, uncounted after the dequeue.</summary>
    private int _queued;

    /// <summary>
    /// System, interrupt and reply messages queued, counted the same way. While it reads zero a worker
    /// goes straight to the user queue instead of trying three empty ones: a message whose enqueue
    /// finished was counted before it (a full fence), so "system messages first" still holds.
    /// </summary>
    private int _urgentQueued;

    public Mailbox(ActorCell cell, ThreadedScheduler scheduler)
    {
        _cell = cell;
        _scheduler = scheduler;
    }

    /// <summary>Deliveries made by this mailbox; written by its one worker only.</summary>
    public long Delivered { get; private set; }

    /// <summary>Queues a message; false when the mailbox bound is reached.</summary>
    public bool Enqueue(in Envelope envelope, ChannelKind kind, int queuedMax)
    {
        if (Interlocked.Increment(ref _queued) > queuedMax)
        {
            Interlocked.Decrement(ref _queued);
            return false;
        }

        if (kind != ChannelKind.User)
        {
            Interlocked.Increment(ref _urgentQueued);
        }

        _queues[(int)kind].Enqueue(envelope);
        TrySchedule();
        return true;
    }

    /// <summary>
    /// Hands the mailbox to a worker unless one has it. Reading the status before the CAS spares the
    /// common case (a worker is on it) a locked instruction per message: the caller's enqueue is an
    /// interlocked operation, a full fence, so the read cannot move before it; and the worker sets Idle
    /// with a full fence before it looks at the queues again (<see cref="Execute"/>), so at least one
    /// of the two sees the other's write and no message is stranded.
    /// </summary>
    public void TrySchedule()
    {
        if (Volatile.Read(ref _status) == Idle && Interlocked.CompareExchange(ref _status, Scheduled, Idle) == Idle)
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: true);
        }
    }

    /// <summary>Drops everything queued; returns how many messages were dropped.</summary>
    public int Clear()
    {
        int dropped = 0;
        int urgentDropped = 0;
        for (int k = 0; k < _queues.Length; k++)
        {
            while (_queues[k].TryDequeue(out _))
            {
                dropped++;
                urgentDropped += k == (int)ChannelKind.User ? 0 : 1;
            }
        }

        Interlocked.Add(ref _urgentQueued, -urgentDropped);
        Interlocked.Add(ref _queued, -dropped);
        return dropped;
    }

    public void Execute()
    {
        int budget = _scheduler.Throughput;
        ActorCell? outer = ActorCell.Current;
        try
        {
            while (budget-- > 0 && TryTakeNext(out Envelope envelope, out ChannelKind kind))
            {
                Interlocked.Decrement(ref _queued);
                Delivered++;
                _cell.Invoke(envelope.Message, envelope.Sender, kind);
            }
        }
        finally
        {
            ActorCell.RestoreCurrent(outer);
        }

        // A full fence, not a release store: the check below must not be reordered before it, or a
        // message enqueued meanwhile could find the mailbox still Scheduled and be left behind.
        Interlocked.Exchange(ref _status, Idle);
        if (HasDeliverable())
        {
            TrySchedule();
        }
    }

    private bool TryTakeNext(out Envelope envelope, out ChannelKind kind)
    {
        kind = ChannelKind.User;
        if (_cell.IsStopped)
        {
            _scheduler.CountDeadLetters(Clear());
            envelope = default;
            return false;
        }

        CellGate gate = _cell.Gate;
        int first = Volatile.Read(ref _urgentQueued) == 0 ? (int)ChannelKind.User : 0;
        for (int k = first; k < _queues.Length; k++)
        {
            if (ChannelRules.IsOpen(gate, (ChannelKind)k) && _queues[k].TryDequeue(out envelope))
            {
                kind = (ChannelKind)k;
                if (kind != ChannelKind.User)
                {
                    Interlocked.Decrement(ref _urgentQueued);
                }

                return true;
            }
        }

        envelope = default;
        return false;
    }

    /// <summary>
    /// Whether a message the gate lets through is queued; called just after the mailbox went Idle.
    /// Zero queued answers at once without looking at the queues: a sender counts its message
    /// (interlocked) before it enqueues it, so zero means no sender has begun, and each such sender
    /// will find the mailbox Idle when it calls <see cref="TrySchedule"/> after its enqueue.
    /// </summary>
    private bool HasDeliverable()
    {
        if (Volatile.Read(ref _queued) == 0)
        {
            return false;
        }

        CellGate gate = _cell.Gate;
        for (int kind = 0; kind < _queues.Length; kind++)
        {
            if (!_queues[kind].IsEmpty && ChannelRules.IsOpen(gate, (ChannelKind)kind))
            {
                return true;
            }
        }

        return false;
    }
}
