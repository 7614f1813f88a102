using System.Collections.Concurrent;

namespace ShadowPt.Runtime.Scheduling;

/// <summary>
/// The descriptions of channels, "sender -> receiver (kind)", shared by every world of the process:
/// each schedule captured lists every channel of its run, and the worlds of one scenario have the same
/// paths, so the strings are made once rather than per run. A pure function of its key; concurrent,
/// as explore workers capture schedules on several threads. Bounded: past <see cref="EntriesMax"/>
/// entries (worlds with ever new actor names) descriptions are made as before and not kept.
/// </summary>
internal static class ChannelDescriptions
{
    /// <summary>Most descriptions kept.</summary>
    private const int EntriesMax = 65_536;

    private static readonly ConcurrentDictionary<(string Sender, string Receiver, ChannelKind Kind), string> Cache = new();

    /// <summary>Entries added; a counter, as <see cref="ConcurrentDictionary{TKey, TValue}.Count"/> takes every lock.</summary>
    private static int s_count;

    /// <summary>The description of a channel from <paramref name="sender"/> to <paramref name="receiver"/> of <paramref name="kind"/>.</summary>
    public static string Of(string sender, string receiver, ChannelKind kind)
    {
        if (Cache.TryGetValue((sender, receiver, kind), out string? known))
        {
            return known;
        }

        string description = $"{sender} -> {receiver} ({kind.ToString().ToLowerInvariant()})";
        if (Volatile.Read(ref s_count) < EntriesMax && Cache.TryAdd((sender, receiver, kind), description))
        {
            Interlocked.Increment(ref s_count);
        }

        return description;
    }
}
