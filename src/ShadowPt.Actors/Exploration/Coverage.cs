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

    /// <summary>Distinct abstract-state hashes in the order first reached.</summary>
    public IReadOnlyList<ulong> States => _states;

    /// <summary>Hash of the sequence of deliveries (sender, receiver) into actors that more than one actor sends to.</summary>
    public ulong Ordering { get; private set; }

    /// <summary>Hooks into a run: on a machine scenario, hashes the kernel's abstract state at every quiescent point.</summary>
    public void Attach(Scenario scenario, ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
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

        Ordering = OrderingOf(report.Schedule);
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
    /// actor, a lock actor) are the conflicting operations; their order, named by sender and receiver, is the
    /// ordering. Channel ids are not used, as their numbering depends on the interleaving.
    /// </summary>
    internal static ulong OrderingOf(Schedule schedule)
    {
        IReadOnlyList<string> channels = schedule.Channels;
        var receiverOf = new string?[channels.Count];
        var senders = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        for (int c = 0; c < channels.Count; c++)
        {
            string d = channels[c];
            int arrow = d.IndexOf(" -> ", StringComparison.Ordinal);
            int kind = d.LastIndexOf(" (", StringComparison.Ordinal);
            if (arrow < 0 || kind < arrow || !d.EndsWith("(user)", StringComparison.Ordinal))
            {
                continue;
            }

            string receiver = d[(arrow + 4)..kind];
            receiverOf[c] = receiver;
            if (!senders.TryGetValue(receiver, out HashSet<string>? set))
            {
                senders[receiver] = set = new HashSet<string>(StringComparer.Ordinal);
            }

            set.Add(d[..arrow]);
        }

        var channelHash = new ulong[channels.Count];
        for (int c = 0; c < channels.Count; c++)
        {
            channelHash[c] = receiverOf[c] is { } r && senders[r].Count > 1 ? TraceHash.OfString(channels[c]) : 0;
        }

        ulong h = 0xcbf29ce484222325UL;
        foreach (ScheduleChoice choice in schedule.Choices)
        {
            if (choice.Kind == ChoiceKind.Delivery && choice.Value < channelHash.Length && channelHash[choice.Value] != 0)
            {
                h = (h ^ channelHash[choice.Value]) * 0x100000001b3UL;
            }
        }

        return h;
    }
}

/// <summary>
/// A cheap abstract kernel state: per live mm its VMAs (range, flags) and its PTEs (address, permission
/// and kind bits, with the pfn and the accessed/dirty bits left out, as frame numbers depend on allocation
/// order), and the shadow table's open/tracking state. Two runs in the same abstract state hash alike.
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

            h = Mix(h, (ulong)mm.Id.Value);
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

        SptState spt = state.Extension<SptState>();
        return Mix(h, (spt.IsOpen ? 1UL : 0) | (spt.Tracking ? 2UL : 0) | ((ulong)spt.EntryCount << 2));
    }

    private static ulong Mix(ulong h, ulong word) => (h ^ word) * 0x100000001b3UL ^ (word >> 29);
}
