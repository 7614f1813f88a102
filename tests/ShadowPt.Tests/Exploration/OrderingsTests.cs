using ShadowPt.Exploration;
using ShadowPt.Runtime.Recording;
using ShadowPt.Scenarios;

namespace ShadowPt.Tests.Exploration;

/// <summary>
/// RunCoverage.OrderingsOf reuses per-thread scratch (the seen set, receiver names across calls): its result must
/// equal the plain computation, call after call, whatever the previous call left behind.
/// </summary>
public sealed class OrderingsTests
{
    [Fact]
    public void MatchesThePlainComputationAcrossCallsThatShareScratch()
    {
        var schedules = new List<(Schedule Schedule, long[] Ends)>();
        foreach (ulong seed in new ulong[] { 1, 2, 3 })
        {
            RunReport report = ScenarioRunner.Run(() => ScenarioCatalog.TryCreate("default")!, new RunOptions { Seed = seed, Strategy = "random" });
            schedules.Add((report.Schedule, [400, 900, 1500]));
        }

        // Same receivers named in another order, one of them now with a single sender; then a schedule whose receivers all differ.
        schedules.Add((Synthetic(["/a -> /m (user)", "/b -> /n (user)", "/b -> /m (user)", "/c -> /n (reply)", "/a -> /n (user)"], [0, 1, 2, 4, 1, 0, 2, 3, 4, 4, 0]), [5]));
        schedules.Add((Synthetic(["/x -> /m (user)", "/x -> /n (user)", "/y -> /n (user)"], [0, 1, 2, 1, 2, 0, 2]), []));
        schedules.Add((Synthetic(["/b -> /m (user)", "/a -> /m (user)"], [0, 1, 0, 1, 1, 0]), [2, 4]));
        foreach ((Schedule schedule, long[] ends) in schedules)
        {
            ulong[] expected = Plain(schedule, ends);
            Assert.Equal(expected, RunCoverage.OrderingsOf(schedule, ends));
        }

        Assert.NotEmpty(Plain(schedules[0].Schedule, schedules[0].Ends));
        Assert.NotEmpty(Plain(schedules[3].Schedule, schedules[3].Ends));
        Assert.NotEmpty(Plain(schedules[5].Schedule, schedules[5].Ends));
    }

    private static Schedule Synthetic(string[] channels, int[] deliveries) => new()
    {
        Scenario = "synthetic", Strategy = "test", Seed = 1, StepsMax = 100, Steps = deliveries.Length, Ticks = 0, TraceHash = "0", Result = "ok",
        Choices = [.. deliveries.Select(c => new ScheduleChoice(ChoiceKind.Delivery, c))],
        Channels = channels,
    };

    /// <summary>The computation as first written: substrings, a set of senders per receiver, fresh collections.</summary>
    private static ulong[] Plain(Schedule schedule, IReadOnlyList<long> segmentEnds)
    {
        IReadOnlyList<string> channels = schedule.Channels;
        var receiverOf = new int[channels.Count];
        var receivers = new Dictionary<string, int>(StringComparer.Ordinal);
        var senders = new List<HashSet<string>>();
        for (int c = 0; c < channels.Count; c++)
        {
            receiverOf[c] = -1;
            string d = channels[c];
            int arrow = d.IndexOf(" -> ", StringComparison.Ordinal);
            int kind = d.LastIndexOf(" (", StringComparison.Ordinal);
            if (arrow < 0 || kind < arrow || !d.EndsWith("(user)", StringComparison.Ordinal))
            {
                continue;
            }

            string receiver = d[(arrow + 4)..kind];
            if (!receivers.TryGetValue(receiver, out int r))
            {
                receivers[receiver] = r = senders.Count;
                senders.Add(new HashSet<string>(StringComparer.Ordinal));
            }

            receiverOf[c] = r;
            senders[r].Add(d[..arrow]);
        }

        var channelHash = new ulong[channels.Count];
        for (int c = 0; c < channels.Count; c++)
        {
            channelHash[c] = receiverOf[c] >= 0 && senders[receiverOf[c]].Count > 1 ? TraceHash.OfString(channels[c]) : 0;
        }

        var seen = new HashSet<ulong>();
        var orderings = new List<ulong>();
        var lastChannel = new int[channelHash.Length];
        var lastIndex = new int[channelHash.Length];
        Array.Fill(lastChannel, -1);
        var countInSegment = new int[channelHash.Length];
        int segment = 0;
        long step = 0;
        foreach (ScheduleChoice choice in schedule.Choices)
        {
            if (choice.Kind != ChoiceKind.Delivery)
            {
                continue;
            }

            while (segment < segmentEnds.Count && step >= segmentEnds[segment])
            {
                segment++;
                Array.Clear(countInSegment);
                Array.Fill(lastChannel, -1);
            }

            step++;
            int ch = choice.Value;
            if (ch >= channelHash.Length || channelHash[ch] == 0)
            {
                continue;
            }

            int index = countInSegment[ch]++;
            int rr = receiverOf[ch];
            int previous = lastChannel[rr];
            if (previous >= 0 && previous != ch && seen.Count < RunCoverage.StatesPerRunMax)
            {
                ulong pair = channelHash[previous] ^ ((ulong)lastIndex[rr] << 20);
                pair = ((pair * 0x100000001b3UL) ^ channelHash[ch] ^ ((ulong)index << 40)) * 0x100000001b3UL;
                pair = (pair ^ (ulong)segment) * 0x100000001b3UL;
                if (seen.Add(pair))
                {
                    orderings.Add(pair);
                }
            }

            lastChannel[rr] = ch;
            lastIndex[rr] = index;
        }

        return [.. orderings];
    }
}
