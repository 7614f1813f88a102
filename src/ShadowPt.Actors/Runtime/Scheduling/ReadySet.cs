namespace ShadowPt.Runtime.Scheduling;

/// <summary>
/// The deliveries a strategy may choose from at one scheduling point: the heads of the ready
/// channels. The order is deterministic (it follows the run's history).
/// </summary>
public readonly ref struct ReadySet
{
    private readonly ReadOnlySpan<Channel> _channels;
    private readonly IReadOnlyList<Channel> _all;

    internal ReadySet(ReadOnlySpan<Channel> channels, IReadOnlyList<Channel> all)
    {
        _channels = channels;
        _all = all;
    }

    public int Count => _channels.Length;

    /// <summary>The channel id of choice <paramref name="index"/>; what schedules record.</summary>
    public int ChannelId(int index) => _channels[index].Id;

    /// <summary>The receiving actor's id of choice <paramref name="index"/>.</summary>
    public int ReceiverId(int index) => _channels[index].Receiver.Id;

    /// <summary>The sender id of choice <paramref name="index"/> (negative for outside and timers).</summary>
    public int SenderId(int index) => _channels[index].SenderId;

    /// <summary>The global send order of the message at the head of choice <paramref name="index"/>.</summary>
    public long HeadSequence(int index) => _channels[index].HeadSequence;

    /// <summary>"sender -> receiver (kind)" of choice <paramref name="index"/>.</summary>
    public string Describe(int index) => _channels[index].Describe();

    /// <summary>The index of the ready choice on channel <paramref name="channelId"/>, or -1 when that channel is not ready or unknown.</summary>
    public int IndexOfChannel(int channelId)
    {
        if (channelId < 0 || channelId >= _all.Count)
        {
            return -1;
        }

        int index = _all[channelId].ReadyIndex;
        return index >= 0 && index < _channels.Length ? index : -1;
    }

    /// <summary>"sender -> receiver (kind)" of any channel created so far, or null when there is no such channel.</summary>
    public string? DescribeChannel(int channelId) => channelId >= 0 && channelId < _all.Count ? _all[channelId].Describe() : null;
}
