using ShadowPt.Kernel;
using ShadowPt.Runtime.Async;

namespace ShadowPt.Spt;

/// <summary>
/// The buggy ways of updating the table that the bug zoo switches on in place of
/// <see cref="ShadowHooks.Update"/>'s one atomic rewrite under the shadow lock.
/// </summary>
internal static class ShadowUpdateVariants
{
    /// <summary>
    /// shadow-update-without-lock: the entries are computed from the truth, then stored (WRITE_ONCE, as
    /// the correct code does) in a second operation, without the shadow lock. Two CPUs updating at once
    /// write concurrently, and the one that computed first may store last: a lost update.
    /// </summary>
    public static async ActorTask UpdateWithoutLock(KernelContext k, MmId mm, AddrRange range, string what, string who)
    {
        (IReadOnlyList<Pfn>? frames, int first, ShadowPte[] entries) = await k.Mem(what, s =>
        {
            SptState t = s.Extension<SptState>();
            return t.IsOpen && t.Tracking && t.TargetMm == mm ? (t.Frames, t.EntriesOf(range).First, Truth(s, t, range)) : (null, 0, []);
        });
        if (frames is null || entries.Length == 0)
        {
            return;
        }

        await k.Mem(what, s =>
        {
            SptState t = s.Extension<SptState>();
            if (!t.IsOpen || !ReferenceEquals(t.Frames, frames))
            {
                return false; // closed meanwhile: even this variant does not write a freed table
            }

            for (int i = 0; i < entries.Length; i++)
            {
                t.WriteEntry(s.Frames, first + i, entries[i], s.Who(who));
            }

            return true;
        });
    }

    /// <summary>
    /// torn-shadow-entry: under the shadow lock, each entry is written as three plain stores (no
    /// WRITE_ONCE), one memory operation each, so the lockless inspector can read an entry half old
    /// and half new: a new pfn with the old state flags.
    /// Caller holds the shadow lock (which keeps the table open and tracking the same mm meanwhile).
    /// </summary>
    public static async ActorTask UpdateTorn(KernelContext k, MmId mm, AddrRange range, string what, string who)
    {
        k.AssertHeld(ShadowPtLockRef.Instance, LockMode.Exclusive, what);
        (int first, int end) = await k.Mem(what, s =>
        {
            SptState t = s.Extension<SptState>();
            return t.IsOpen && t.Tracking && t.TargetMm == mm ? t.EntriesOf(range) : (0, 0);
        });
        for (int i = first; i < end; i++)
        {
            int entry = i;
            ShadowPte value = await k.Mem(what, s =>
            {
                SptState t = s.Extension<SptState>();
                ShadowPte truth = ShadowTruth.Of(s.FindMm(t.TargetMm), t.PageOf(entry));
                t.WriteWord(s.Frames, entry, 0, truth.Vaddr, s.Who(who), AccessMarking.Plain);
                return truth;
            });
            await k.Mem(what, s => Store(s, entry, 1, value.Pfn, who));
            await k.Mem(what, s => Store(s, entry, 2, value.StateFlags, who));
        }
    }

    private static bool Store(KernelState s, int entry, int word, ulong value, string who)
    {
        s.Extension<SptState>().WriteWord(s.Frames, entry, word, value, s.Who(who), AccessMarking.Plain);
        return true;
    }

    /// <summary>The truth for the entries of <paramref name="range"/>, in order.</summary>
    private static ShadowPte[] Truth(KernelState s, SptState t, AddrRange range)
    {
        (int first, int end) = t.EntriesOf(range);
        MmStruct? target = s.FindMm(t.TargetMm);
        var entries = new ShadowPte[end - first];
        for (int i = first; i < end; i++)
        {
            entries[i - first] = ShadowTruth.Of(target, t.PageOf(i));
        }

        return entries;
    }
}
