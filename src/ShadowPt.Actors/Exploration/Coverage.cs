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

    private ulong[] _orderings = [];

    /// <summary>
    /// <see cref="OrderingsOf"/>'s set of pairs already seen, cleared and reused by the next call on the same
    /// thread: it never leaves the call, and runs on one thread at a time (explore's workers each have their own).
    /// </summary>
    [ThreadStatic]
    private static HashSet<ulong>? t_seen;

    /// <summary>The pairs found, in order; reused like <see cref="t_seen"/> and copied out at the end of the call.</summary>
    [ThreadStatic]
    private static List<ulong>? t_found;

    /// <summary>
    /// Receiver names for <see cref="ConflictingChannels"/>, kept across its calls on this thread (actor paths repeat
    /// from run to run): the call that numbered the receiver, and its number in that call. Emptied past
    /// <see cref="ReceiverNamesMax"/> names.
    /// </summary>
    [ThreadStatic]
    private static Dictionary<string, (long Call, int Number)>? t_receivers;

    /// <summary>Calls of <see cref="ConflictingChannels"/> on this thread: tells this call's numbers from older ones.</summary>
    [ThreadStatic]
    private static long t_calls;

    /// <summary>Most receiver names <see cref="t_receivers"/> keeps.</summary>
    private const int ReceiverNamesMax = 4096;

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

        ulong[] found = OrderingsOf(report.Schedule, _segmentEnds);
        _orderings = _orderings.Length == 0 ? found : [.. _orderings, .. found];
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
    internal static ulong[] OrderingsOf(Schedule schedule, IReadOnlyList<long> segmentEnds)
    {
        int channelCount = schedule.Channels.Count;
        ulong[] channelHash = new ulong[channelCount];
        int[] receiverOf = new int[channelCount];
        ConflictingChannels(schedule.Channels, channelHash, receiverOf);
        HashSet<ulong> seen = t_seen ??= new HashSet<ulong>();
        List<ulong> orderings = t_found ??= new List<ulong>();
        seen.Clear();
        orderings.Clear();
        // The last conflicting delivery into each receiver this segment: its channel (-1: none yet) and index.
        // Receiver numbers are below the channel count, so arrays stand in for a dictionary on this per-delivery path.
        var lastChannel = new int[channelCount];
        var lastIndex = new int[channelCount];
        Array.Fill(lastChannel, -1);
        var countInSegment = new int[channelCount];
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

        return [.. orderings]; // the scratch is cleared at the start of the next call
    }

    /// <summary>
    /// Fills, per channel id, the hash of its description when it is a user channel into a receiver with several
    /// senders (else 0), and its receiver's number (-1 for other channels). A description reads
    /// "sender -> receiver (kind)"; receivers are looked up, and senders compared, as spans of the descriptions.
    /// </summary>
    private static void ConflictingChannels(IReadOnlyList<string> channels, ulong[] channelHash, int[] receiverOf)
    {
        int count = channels.Count;
        Dictionary<string, (long Call, int Number)> names = t_receivers ??= new(StringComparer.Ordinal);
        if (names.Count > ReceiverNamesMax)
        {
            names.Clear();
        }

        long call = ++t_calls;
        Dictionary<string, (long Call, int Number)>.AlternateLookup<ReadOnlySpan<char>> byName = names.GetAlternateLookup<ReadOnlySpan<char>>();
        // Per receiver number: the first channel into it, and whether a channel from another sender was seen.
        var firstChannel = new int[count];
        var severalSenders = new bool[count];
        int receivers = 0;
        for (int c = 0; c < count; c++)
        {
            receiverOf[c] = -1;
            string d = channels[c];
            int arrow = d.IndexOf(" -> ", StringComparison.Ordinal);
            int kind = d.LastIndexOf(" (", StringComparison.Ordinal);
            if (arrow < 0 || kind < arrow || !d.EndsWith("(user)", StringComparison.Ordinal))
            {
                continue;
            }

            ReadOnlySpan<char> receiver = d.AsSpan(arrow + 4, kind - arrow - 4);
            int r;
            if (!byName.TryGetValue(receiver, out (long Call, int Number) known) || known.Call != call)
            {
                r = receivers++;
                byName[receiver] = (call, r);
                firstChannel[r] = c;
            }
            else
            {
                r = known.Number;
                if (!severalSenders[r])
                {
                    string first = channels[firstChannel[r]];
                    severalSenders[r] = !first.AsSpan(0, first.IndexOf(" -> ", StringComparison.Ordinal)).SequenceEqual(d.AsSpan(0, arrow));
                }
            }

            receiverOf[c] = r;
        }

        for (int c = 0; c < count; c++)
        {
            channelHash[c] = receiverOf[c] >= 0 && severalSenders[receiverOf[c]] ? TraceHash.OfString(channels[c]) : 0;
        }
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
