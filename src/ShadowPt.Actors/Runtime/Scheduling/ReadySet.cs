namespace ShadowPt.Runtime.Scheduling;

/// <summary>
/// The deliveries a strategy may choose from at one scheduling point: the heads of the ready
/// channels. The order is deterministic (it follows the run's history).
/// </summary>
public readonly ref struct ReadySet
{
    /// <summary>The ids of the ready channels, in ready-list order.</summary>
    private readonly ReadOnlySpan<int> _channelIds;

    /// <summary>Every channel created so far, by id.</summary>
    private readonly ReadOnlySpan<Channel> _all;

    internal ReadySet(ReadOnlySpan<int> channelIds, ReadOnlySpan<Channel> all)
    {
        _channelIds = channelIds;
        _all = all;
    }

    public int Count => _channelIds.Length;

    /// <summary>The channel id of choice <paramref name="index"/>; what schedules record.</summary>
    public int ChannelId(int index) => _channelIds[index];

    /// <summary>The receiving actor's id of choice <paramref name="index"/>.</summary>
    public int ReceiverId(int index) => At(index).Receiver.Id;

    /// <summary>The receiving actor's path of choice <paramref name="index"/>: unlike its id, the same whatever order actors were created in.</summary>
    public string ReceiverPath(int index) => At(index).Receiver.Path;

    /// <summary>The sender id of choice <paramref name="index"/> (negative for outside and timers).</summary>
    public int SenderId(int index) => At(index).SenderId;

    /// <summary>The global send order of the message at the head of choice <paramref name="index"/>.</summary>
    public long HeadSequence(int index) => At(index).HeadSequence;

    /// <summary>"sender -> receiver (kind)" of choice <paramref name="index"/>.</summary>
    public string Describe(int index) => At(index).Describe();

    /// <summary>The sender's path of choice <paramref name="index"/>: an actor path, <c>(outside)</c> or <c>(timer)</c>.</summary>
    public string SenderPath(int index) => At(index).SenderPath;

    /// <summary>The channel kind of choice <paramref name="index"/>, in lower case: system, interrupt, reply or user.</summary>
    public string KindName(int index) => At(index).Kind.ToString().ToLowerInvariant();

    /// <summary>
    /// The message choice <paramref name="index"/> would deliver, never changed by looking: an ask reply is
    /// shown by what it carries, and the resumption of an await as <see cref="ResumeMarker"/>.
    /// </summary>
    public object HeadMessage(int index)
    {
        Channel channel = At(index);
        object message = channel.PeekHead();
        return channel.Kind != ChannelKind.Reply ? message
            : message is Actors.Resume ? ResumeMarker.Instance
            : Actors.PendingAsk.ReplyContent(message);
    }

    /// <summary>The index of the ready choice on channel <paramref name="channelId"/>, or -1 when that channel is not ready or unknown.</summary>
    public int IndexOfChannel(int channelId)
    {
        if (channelId < 0 || channelId >= _all.Length)
        {
            return -1;
        }

        int index = _all[channelId].ReadyIndex;
        return index >= 0 && index < _channelIds.Length ? index : -1;
    }

    /// <summary>"sender -> receiver (kind)" of any channel created so far, or null when there is no such channel.</summary>
    public string? DescribeChannel(int channelId) => channelId >= 0 && channelId < _all.Length ? _all[channelId].Describe() : null;

    private Channel At(int index) => _all[_channelIds[index]];
}

/// <summary>What <see cref="ReadySet.HeadMessage"/> shows for the resumption of an awaiting handler (a yield or a delay ending).</summary>
public sealed class ResumeMarker
{
    public static ResumeMarker Instance { get; } = new();

    private ResumeMarker()
    {
    }

    public override string ToString() => "resume";
}
