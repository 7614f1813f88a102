using ShadowPt.Kernel;
using ShadowPt.Runtime;
using ShadowPt.Runtime.Recording;
using ShadowPt.Scenarios;
using ShadowPt.Scenarios.BuiltIn;
using ShadowPt.Spt;

namespace ShadowPt.Exploration;

/// <summary>What one run reached: the abstract states at its quiescent points and end, and one ordering of its conflicting deliveries.</summary>
public sealed class RunCoverage
{
    /// <summary>Most distinct abstract states one run records; a run past it stops adding.</summary>
    public const int StatesPerRunMax = 4096;

    private readonly List<ulong> _states = new();

    /// <summary>The step count at each quiescent point: the ends of the run's segments (one per tick).</summary>
    private readonly List<long> _segmentEnds = new();

    private readonly List<ulong> _orderings = new();

    /// <summary>Distinct abstract-state hashes in the order first reached.</summary>
    public IReadOnlyList<ulong> States => _states;

    /// <summary>
    /// Per segment of the run between quiescent points (a tick), a hash of the segment's index and of its
    /// sequence of deliveries (sender, receiver) into actors that more than one actor sends to: the
    /// orderings of conflicting operations, per tick, so that they can saturate as exploration goes on.
    /// </summary>
    public IReadOnlyList<ulong> Orderings => _orderings;

    /// <summary>Hooks into a run: on a machine scenario, hashes the kernel's abstract state at every quiescent point.</summary>
    public void Attach(Scenario scenario, ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        system.AddQuiescentObserver(() =>
        {
            if (_segmentEnds.Count < StatesPerRunMax)
            {
                _segmentEnds.Add(system.Steps);
            }
        });
        if (scenario is ShadowPtScenario { Machine: { } machine })
        {
            system.AddQuiescentObserver(() => AddState(AbstractState.Of(machine.State)));
        }
    }

    /// <summary>Completes the record from the run's report: the end state and the conflicting-delivery ordering.</summary>
    public void Finish(RunReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (_states.Count == 0)
        {
            // No machine: the scenario's own description of its end state stands for it.
            ulong h = TraceHash.OfString(report.Violation?.Kind ?? "ok");
            foreach (string line in report.Description)
            {
                h = TraceHash.OfChars(line, h * 31);
            }

            AddState(h);
        }

        _orderings.AddRange(OrderingsOf(report.Schedule, _segmentEnds));
    }

    private void AddState(ulong hash)
    {
        if (_states.Count < StatesPerRunMax && !_states.Contains(hash))
        {
            _states.Add(hash);
        }
    }

    /// <summary>
    /// Deliveries into a shared receiver (one that more than one actor sends user messages to: the memory
    /// actor, a lock actor) are the conflicting operations. An ordering is one adjacent pair of them from
    /// different senders — "A's i-th request of this tick, then B's j-th" at that receiver — named by the two
    /// channels' sender and receiver (channel ids are not used, as their numbering depends on the
    /// interleaving), the two indices, and how many quiescent points came before (the tick). Pairs rather than whole sequences, so that the
    /// count saturates and "new in the last N schedules" falls when exploration stops finding new orders.
    /// </summary>
    internal static List<ulong> OrderingsOf(Schedule schedule, IReadOnlyList<long> segmentEnds)
    {
        (ulong[] channelHash, int[] receiverOf) = ConflictingChannels(schedule.Channels);
        var seen = new HashSet<ulong>();
        var orderings = new List<ulong>();
        // The last conflicting delivery into each receiver this segment: its channel (-1: none yet) and index.
        // Receiver numbers are below the channel count, so arrays stand in for a dictionary on this per-delivery path.
        var lastChannel = new int[channelHash.Length];
        var lastIndex = new int[channelHash.Length];
        Array.Fill(lastChannel, -1);
        var countInSegment = new int[channelHash.Length];
        int segment = 0;
        long step = 0;
        IReadOnlyList<ScheduleChoice> choices = schedule.Choices;
        for (int i = 0; i < choices.Count; i++)
        {
            ScheduleChoice choice = choices[i];
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
            int c = choice.Value;
            if (c >= channelHash.Length || channelHash[c] == 0)
            {
                continue;
            }

            int index = countInSegment[c]++;
            int receiver = receiverOf[c];
            int previousChannel = lastChannel[receiver];
            if (previousChannel >= 0 && previousChannel != c && seen.Count < StatesPerRunMax)
            {
                ulong pair = channelHash[previousChannel] ^ ((ulong)lastIndex[receiver] << 20);
                pair = ((pair * 0x100000001b3UL) ^ channelHash[c] ^ ((ulong)index << 40)) * 0x100000001b3UL;
                pair = (pair ^ (ulong)segment) * 0x100000001b3UL;
                if (seen.Add(pair))
                {
                    orderings.Add(pair);
                }
            }

            lastChannel[receiver] = c;
            lastIndex[receiver] = index;
        }

        return orderings;
    }

    /// <summary>Per channel id: the hash of its description when it is a user channel into a receiver with several senders (else 0), and its receiver's number.</summary>
    private static (ulong[] Hashes, int[] Receivers) ConflictingChannels(IReadOnlyList<string> channels)
    {
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

        return (channelHash, receiverOf);
    }
}

/// <summary>
/// A cheap abstract kernel state: per live mm its minor-fault count, VMAs (range, flags) and its PTEs (address, permission
/// and kind bits, with the pfn and the accessed/dirty bits left out, as frame numbers depend on allocation
/// order), each task's exit state, and the shadow table's open/tracking state. Two runs in the same abstract state hash alike.
/// </summary>
public static class AbstractState
{
    /// <summary>PTE bits kept: present, writable, user, NX, special, prot-none; not accessed, dirty or the pfn.</summary>
    private const ulong PteKeep = PteBits.Present | PteBits.Rw | PteBits.User | PteBits.Special | PteBits.ProtNone | PteBits.Nx;

    public static ulong Of(KernelState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        ulong h = 0xcbf29ce484222325UL;
        foreach (MmStruct mm in state.Mms)
        {
            if (mm.IsDead)
            {
                continue;
            }

            h = Mix(Mix(Mix(h, (ulong)mm.Id.Value), (ulong)mm.MinFlt), (ulong)mm.Vmas.Count);
            IReadOnlyList<VmArea> vmas = mm.Vmas.All;
            for (int i = 0; i < vmas.Count; i++)
            {
                VmArea vma = vmas[i];
                h = Mix(Mix(Mix(h, vma.VmStart.Value), vma.VmEnd.Value), (ulong)vma.VmFlags);
                foreach (PteSlot slot in mm.Pgd.EnumeratePtes(vma.Range))
                {
                    h = Mix(Mix(h, slot.Address.Value), slot.Pte.IsPresent ? slot.Pte.Value & PteKeep : slot.Pte.Value);
                }
            }
        }

        foreach (TaskStruct task in state.Tasks)
        {
            h = Mix(h, ((ulong)task.Pid << 2) | (task.Exited ? 1UL : 0) | (task.Mm is null ? 2UL : 0));
        }

        SptState spt = state.Extension<SptState>();
        return Mix(h, (spt.IsOpen ? 1UL : 0) | (spt.Tracking ? 2UL : 0) | ((ulong)spt.EntryCount << 2));
    }

    private static ulong Mix(ulong h, ulong word) => (h ^ word) * 0x100000001b3UL ^ (word >> 29);
}
