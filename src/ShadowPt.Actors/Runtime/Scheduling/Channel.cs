using System.Runtime.CompilerServices;
using ShadowPt.Runtime.Actors;

namespace ShadowPt.Runtime.Scheduling;

/// <summary>
/// The FIFO queue of messages from one sender to one receiver of one kind. Its head is one enabled
/// delivery when the receiver's gate lets its kind pass. A growable ring buffer of power-of-two
/// capacity: no allocation in steady state, no division on the hot path.
/// </summary>
internal sealed class Channel
{
    /// <summary>Sender id for messages sent from outside any actor (tests, the host).</summary>
    public const int ExternalSenderId = -1;

    /// <summary>Sender id for messages that timers deliver.</summary>
    public const int TimerSenderId = -2;

    /// <summary>Initial capacity; a power of two.</summary>
    private const int CapacityInitial = 4;

    /// <summary>The ring; its length is a power of two.</summary>
    private Envelope[] _items = new Envelope[CapacityInitial];

    /// <summary>Index of the head in <see cref="_items"/>.</summary>
    private int _head;

    /// <summary>Messages queued.</summary>
    private int _count;

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

    public int Count => _count;

    /// <summary>Position in the scheduler's ready list, or -1 when not ready.</summary>
    public int ReadyIndex { get; set; } = -1;

    public long HeadSequence => _count > 0
        ? _items[_head].Sequence
        : throw new InvalidOperationException($"channel {Id} is empty");

    /// <summary>The message at the head, without taking it (for strategies that show what a delivery would do).</summary>
    public object PeekHead() => _count > 0
        ? _items[_head].Message
        : throw new InvalidOperationException($"channel {Id} is empty");

    /// <summary>"sender -> receiver (kind)": what a schedule's channel table holds (see <see cref="ChannelDescriptions"/>).</summary>
    public string Describe() => ChannelDescriptions.Of(SenderPath, Receiver.Path, Kind);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Enqueue(object message, IActorRef? sender, long sequence)
    {
        Envelope[] items = _items;
        if (_count == items.Length)
        {
            items = Grow();
        }

        items[(_head + _count) & (items.Length - 1)] = new Envelope(message, sender, sequence);
        _count++;
    }

    /// <summary>Takes the head; the slot is cleared so that the channel does not keep the message alive.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public object Dequeue(out IActorRef? sender)
    {
        if (_count == 0)
        {
            ThrowEmpty();
        }

        Envelope[] items = _items;
        ref Envelope head = ref items[_head];
        object message = head.Message;
        sender = head.Sender;
        head = default;
        _head = (_head + 1) & (items.Length - 1);
        _count--;
        return message;
    }

    /// <summary>Drops everything queued; returns how many messages were dropped.</summary>
    public int Clear()
    {
        int dropped = _count;
        Array.Clear(_items);
        _head = 0;
        _count = 0;
        return dropped;
    }

    private Envelope[] Grow()
    {
        var bigger = new Envelope[_items.Length * 2];
        for (int i = 0; i < _count; i++)
        {
            bigger[i] = _items[(_head + i) & (_items.Length - 1)];
        }

        _items = bigger;
        _head = 0;
        return bigger;
    }

    private void ThrowEmpty() => throw new InvalidOperationException($"channel {Id} is empty");
}
