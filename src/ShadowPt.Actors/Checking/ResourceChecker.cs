using System.Globalization;
using System.Text;
using ShadowPt.Kernel;
using ShadowPt.Runtime;
using ShadowPt.Spt;

namespace ShadowPt.Checking;

/// <summary>
/// Frames and resources at the end of a run: the shadow table is not left open by a dead inspector,
/// no mmu_notifier stays registered on a dead mm, none of the shadow table's stays registered once
/// the table stopped tracking, and every allocated frame has an owner — a page
/// table of a live mm, a page a live mm maps, a page-cache page, or a frame of the open shadow table
/// (the reserved and zero frames are never allocated) — holding exactly the references its owners
/// account for. Leaked frames are reported with their history.
/// </summary>
/// <remarks>Reads the kernel state only; call it when no kernel path runs (the end of a run).</remarks>
public static class ResourceChecker
{
    /// <summary>Violation kind of every finding.</summary>
    public const string Kind = "resource-leak";

    /// <summary>Most frames one report lists.</summary>
    public const int FramesListedMax = 16;

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>The check as a violation at the current step, or null.</summary>
    public static Violation? CheckEnd(ActorSystem system, KernelState state)
    {
        ArgumentNullException.ThrowIfNull(system);
        return Check(state) is { } report ? new Violation(Kind, report, system.Steps, system.Now) : null;
    }

    /// <summary>The report of every finding, or null when nothing leaked.</summary>
    public static string? Check(KernelState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var findings = new List<string>();
        SptState? table = state.FindExtension<SptState>();
        if (table is { IsOpen: true } && state.FindTask(table.OpenerPid) is { Exited: true })
        {
            findings.Add(string.Create(Invariant, $"the shadow table is still open after its inspector (pid {table.OpenerPid}) exited; its frames: {string.Join(", ", table.Frames)}\n"));
        }

        foreach (MmStruct dead in state.Mms.Where(m => m.IsDead && m.Notifiers.Count > 0))
        {
            findings.Add(string.Create(Invariant, $"{dead.Id} is dead but mmu_notifiers are still registered on it: {string.Join(", ", dead.Notifiers)}\n"));
        }

        foreach (MmStruct mm in state.Mms.Where(m => !m.IsDead))
        {
            foreach (MmuNotifier stale in mm.Notifiers.Where(n => n.Ops is ShadowNotifierOps && !IsTracking(table, n)))
            {
                findings.Add($"{stale} is still registered, but no open shadow table tracks with it (stop or close left it behind)\n");
            }
        }

        FrameOwners owners = FrameOwners.Of(state, table);
        AddFrames(findings, state, owners);
        SwapSlotChecker.AddFindings(state, findings);
        return findings.Count == 0 ? null : "resource leak at the end of the run:\n" + string.Concat(findings);
    }

    private static bool IsTracking(SptState? table, MmuNotifier notifier) =>
        table is { IsOpen: true, Tracking: true } && ReferenceEquals(table.Subscription, notifier);

    private static void AddFrames(List<string> findings, KernelState state, FrameOwners owners)
    {
        FrameAllocator frames = state.Frames;
        var leaked = new List<Pfn>();
        var miscounted = new List<Pfn>();
        for (ulong value = 0; value < (ulong)frames.NeverAllocatedFrom; value++) // frames above were never handed out
        {
            var pfn = new Pfn(value);
            if (!frames.IsAllocated(pfn))
            {
                continue;
            }

            if (!owners.Owns(pfn))
            {
                leaked.Add(pfn);
            }
            else if (frames.PageRefCount(pfn) != owners.References(pfn) || frames.PageMapCount(pfn) != owners.Mappings(pfn))
            {
                miscounted.Add(pfn);
            }
        }

        if (leaked.Count > 0)
        {
            var sb = new StringBuilder();
            sb.Append(Invariant, $"frames allocated but owned by nothing (no live mm maps them or holds them as page tables, no page cache, no open shadow table): {leaked.Count}\n");
            AppendHistories(sb, frames, leaked, _ => string.Empty);
            findings.Add(sb.ToString());
        }

        if (miscounted.Count > 0)
        {
            var sb = new StringBuilder();
            sb.Append(Invariant, $"frames whose counts differ from what their owners account for (a get_page, put_page or map count went astray): {miscounted.Count}\n");
            AppendHistories(sb, frames, miscounted, pfn => string.Create(Invariant, $" [owners account for refcount {owners.References(pfn)}, mapcount {owners.Mappings(pfn)}]"));
            findings.Add(sb.ToString());
        }
    }

    private static void AppendHistories(StringBuilder sb, FrameAllocator frames, List<Pfn> pfns, Func<Pfn, string> note)
    {
        foreach (Pfn pfn in pfns.Take(FramesListedMax))
        {
            sb.Append(' ').Append(frames.History(pfn)).Append(note(pfn)).Append('\n');
        }

        if (pfns.Count > FramesListedMax)
        {
            sb.Append(Invariant, $" ... and {pfns.Count - FramesListedMax} more\n");
        }
    }

    /// <summary>The references each owner holds on a frame, counted from the owners' side.</summary>
    private sealed class FrameOwners
    {
        /// <summary>References held by owners other than PTEs: page tables, page cache, shadow table.</summary>
        private readonly Dictionary<Pfn, int> _held = new();

        /// <summary>Present, normal (not special) PTEs of live mms mapping each frame.</summary>
        private readonly Dictionary<Pfn, int> _mapped = new();

        public static FrameOwners Of(KernelState state, SptState? table)
        {
            var owners = new FrameOwners();
            var user = new AddrRange(VirtAddr.Zero, new VirtAddr(PageGeometry.TaskSizeMax));
            foreach (MmStruct mm in state.Mms.Where(m => !m.IsDead))
            {
                foreach (Pfn pfn in mm.Pgd.TableFrames())
                {
                    owners.Hold(pfn);
                }

                foreach (PteSlot slot in mm.Pgd.EnumeratePtes(user))
                {
                    // A special PTE (remap_pfn_range) holds no reference: the frame's owner is whoever remapped it.
                    if (slot.Pte.IsPresent && !slot.Pte.IsSpecial)
                    {
                        owners._mapped[slot.Pte.Pfn] = owners.Mappings(slot.Pte.Pfn) + 1;
                    }
                }
            }

            foreach (Pfn pfn in state.PageCache.Pages)
            {
                owners.Hold(pfn);
            }

            if (table is { IsOpen: true })
            {
                foreach (Pfn pfn in table.Frames)
                {
                    owners.Hold(pfn);
                }
            }

            return owners;
        }

        public bool Owns(Pfn pfn) => _held.ContainsKey(pfn) || _mapped.ContainsKey(pfn);

        public int Mappings(Pfn pfn) => _mapped.TryGetValue(pfn, out int count) ? count : 0;

        public int References(Pfn pfn) => Mappings(pfn) + (_held.TryGetValue(pfn, out int count) ? count : 0);

        private void Hold(Pfn pfn) => _held[pfn] = (_held.TryGetValue(pfn, out int count) ? count : 0) + 1;
    }
}
