using ShadowPt.Runtime.Actors;

namespace ShadowPt.Runtime.Scheduling;

/// <summary>
/// The FIFO queue of messages from one sender to one receiver of one kind. Its head is one enabled
/// delivery when the receiver's gate lets its kind pass. A growable ring buffer: no allocation in
/// steady state.
/// </summary>
internal sealed class Channel
{
    /// <summary>Sender id for messages sent from outside any actor (tests, the host).</summary>
    public const int ExternalSenderId = -1;

    /// <summary>Sender id for messages that timers deliver.</summary>
    public const int TimerSenderId = -2;

    private Envelope[] _items = new Envelope[4];

    /// <summary>Index of the head in <see cref="_items"/>.</summary>
    private int _head;

    public Channel(int id, int senderId, string senderPath, ActorCell receiver, ChannelKind kind)
    {
        Id = id;
        SenderId = senderId;
        SenderPath = senderPath;
        Receiver = receiver;
        Kind = kind;
    }

    /// <summary>Dense id in creation order; what a schedule records.</summary>
    public int Id { get; }

    public int SenderId { get; }

    public string SenderPath { get; }

    public ActorCell Receiver { get; }

    public ChannelKind Kind { get; }

    public int Count { get; private set; }

    /// <summary>Position in the scheduler's ready list, or -1 when not ready.</summary>
    public int ReadyIndex { get; set; } = -1;

    public long HeadSequence => _items[_head].Sequence;

    public string Describe() => $"{SenderPath} -> {Receiver.Path} ({Kind.ToString().ToLowerInvariant()})";

    public void Enqueue(in Envelope envelope)
    {
        if (Count == _items.Length)
        {
            Grow();
        }

        int tail = _head + Count;
        if (tail >= _items.Length)
        {
            tail -= _items.Length;
        }

        _items[tail] = envelope;
        Count++;
    }

    public Envelope Dequeue()
    {
        if (Count == 0)
        {
            throw new InvalidOperationException($"channel {Id} is empty");
        }

        Envelope envelope = _items[_head];
        _items[_head] = default;
        _head = _head + 1 == _items.Length ? 0 : _head + 1;
        Count--;
        return envelope;
    }

    /// <summary>Drops everything queued; returns how many messages were dropped.</summary>
    public int Clear()
    {
        int dropped = Count;
        Array.Clear(_items);
        _head = 0;
        Count = 0;
        return dropped;
    }

    private void Grow()
    {
        var bigger = new Envelope[_items.Length * 2];
        for (int i = 0; i < Count; i++)
        {
            int at = _head + i;
            bigger[i] = _items[at >= _items.Length ? at - _items.Length : at];
        }

        _items = bigger;
        _head = 0;
    }
}
