using System.Globalization;
using System.Text;
using ShadowPt.Kernel;

namespace ShadowPt.Checking;

/// <summary>
/// The reports of the TLB-coherence checker, in the shape of the kernel's own (a KASAN report for a
/// use after free): what happened and where, then the frame's history, one fact a line.
/// </summary>
internal sealed class TlbReports(KernelState state, TlbMirror mirror)
{
    /// <summary>Most PTEs or translations one report lists.</summary>
    public const int LinesMax = 8;

    private const string Rule = "==================================================================\n";

    /// <summary>Frames whose mappings are tracked: not the reserved frame or the zero page (never freed), not device memory.</summary>
    public bool Tracks(Pfn pfn) => pfn != FrameAllocator.ZeroPfn && pfn != FrameAllocator.ReservedPfn && state.Frames.InRange(pfn);

    public void NoteFree(FrameUse e) => mirror.Free(e.Pfn, e.Who);

    /// <summary>A hit on a translation that a completed shootdown had to drop.</summary>
    public string StaleUse(CachedTranslation t, in TlbHit e)
    {
        TlbShootdown flush = t.FlushedBy!;
        var text = new StringBuilder(Rule);
        text.Append(Inv($"BUG: stale TLB entry used: {e.Place} {(e.Write ? "wrote" : "read")} {t.Entry.Mm} {t.Address} through {t.Cpu}'s TLB\n"));
        text.Append("cached: ").Append(Describe(t)).Append('\n');
        text.Append("PTE changed: ").Append(Describe(t.Invalidation!)).Append('\n');
        text.Append("flushed by: ").Append(Describe(flush)).Append(Inv($"; {t.Cpu} "));
        text.Append(flush.Flushes(t.Cpu)
            ? "took part in it but kept the entry\n"
            : Inv($"was not flushed (lazy or not in mm_cpumask then) and is at tlb_gen {mirror.LocalGen(t.Cpu, t.Entry.Mm)} of {t.Entry.Mm} now\n"));
        text.Append("PTE now: ").Append(e.Pte.ToString()).Append('\n');
        return text.Append(Rule).ToString();
    }

    /// <summary>A CPU up to date with an mm caching what the PTE does not allow, at a quiescent point.</summary>
    public string StaleAtQuiescence(CachedTranslation t)
    {
        var text = new StringBuilder(Rule);
        text.Append(Inv($"BUG: stale TLB entry at a quiescent point: {t.Cpu} is up to date with {t.Entry.Mm} (tlb_gen {mirror.LocalGen(t.Cpu, t.Entry.Mm)}) but caches {t.Address}\n"));
        text.Append("cached: ").Append(Describe(t)).Append('\n');
        PteChange? last = mirror.LastWrite(t.Entry.Mm, t.Entry.Vpn);
        text.Append("PTE now: ").Append(mirror.PteOf(t.Entry.Mm, t.Entry.Vpn).ToString());
        text.Append(last is null ? "\n" : ", last written by " + last.Place + Inv($" at tlb_gen {last.TlbGen}\n"));
        return text.Append(Rule).ToString();
    }

    /// <summary>A frame freed while PTEs still map it.</summary>
    public string FreedWhileMapped(FrameUse e)
    {
        var text = new StringBuilder(Rule);
        text.Append(Inv($"BUG: pfn {e.Pfn} freed while a PTE still maps it\n"));
        text.Append("freed by: ").Append(e.Who.ToString()).Append('\n');
        foreach ((MmId mm, ulong vpn) in mirror.MappersOf(e.Pfn).Take(LinesMax))
        {
            PteChange set = mirror.LastWrite(mm, vpn)!;
            text.Append(Inv($"mapped by: {mm} {VirtAddr.FromVpn(vpn)}: {set.New}, written by {set.Place}\n"));
        }

        AppendTranslations(text, e.Pfn);
        return AppendFrame(text, e.Pfn).Append(Rule).ToString();
    }

    /// <summary>A frame freed while a CPU that may still use its TLB translates to it.</summary>
    public string FreedBeforeFlush(FrameUse e)
    {
        CpuId[] cpus = mirror.CachedForFrame(e.Pfn).Where(t => mirror.IsLive(t.Cpu, t.Entry.Mm)).Select(t => t.Cpu).Distinct().OrderBy(c => c.Value).ToArray();
        var text = new StringBuilder(Rule);
        text.Append(Inv($"BUG: pfn {e.Pfn} freed while {string.Join(", ", cpus)} may still translate to it (no completed TLB shootdown)\n"));
        text.Append("freed by: ").Append(e.Who.ToString()).Append('\n');
        AppendTranslations(text, e.Pfn);
        AppendMappings(text, e.Pfn);
        return AppendFrame(text, e.Pfn).Append(Rule).ToString();
    }

    /// <summary>An access to a free frame, KASAN style.</summary>
    public string UseAfterFree(FrameUse e)
    {
        string access = e.Operation switch
        {
            "read" => "Read",
            "write" => "Write",
            _ => char.ToUpperInvariant(e.Operation[0]) + e.Operation[1..],
        };
        var text = new StringBuilder(Rule);
        text.Append(Inv($"BUG: KASAN: use-after-free of pfn {e.Pfn}\n"));
        text.Append(Inv($"{access} of pfn {e.Pfn} by {e.Who}\n"));
        AppendMappings(text, e.Pfn);
        text.Append("freed by: ").Append(mirror.LastFreed(e.Pfn)?.ToString() ?? "(before the checker started)").Append('\n');
        if (mirror.CachedForFrame(e.Pfn).Count == 0)
        {
            text.Append("translated by: no CPU\n");
        }

        AppendTranslations(text, e.Pfn);
        return AppendFrame(text, e.Pfn).Append(Rule).ToString();
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private static string Describe(PteChange c) =>
        Inv($"{c.Place} wrote {c.Mm} {c.Address}: {c.Old} -> {c.New} (at tlb_gen {c.TlbGen})");

    private static string Describe(TlbShootdown f) =>
        Inv($"shootdown to tlb_gen {f.TlbGen} of {f.Mm} over {(f.FullMm ? "the whole mm" : f.Range.ToString())}, {f.Initiator} locally and {(f.Targets.Count == 0 ? "no other CPU" : string.Join(", ", f.Targets))} by IPI, completed {f.Place}");

    /// <summary>One cached translation: where, when filled, and whether the CPU may still use it.</summary>
    private string Describe(CachedTranslation t)
    {
        string rights = t.Entry.Writable ? " (writable)" : string.Empty;
        string live = mirror.IsLive(t.Cpu, t.Entry.Mm)
            ? "live"
            : Inv($"dead: {t.Cpu} missed tlb_gen {mirror.MissedGen(t.Cpu, t.Entry.Mm)} and flushes {t.Entry.Mm} before using it again");
        return Inv($"{t.Cpu} {t.Entry.Mm} {t.Address} -> pfn {t.Entry.Pfn}{rights}, filled at step {t.FilledStep} by pid {t.Pid}; {live}");
    }

    private void AppendTranslations(StringBuilder text, Pfn pfn)
    {
        foreach (CachedTranslation t in mirror.CachedForFrame(pfn).OrderBy(t => t.Cpu.Value).ThenBy(t => t.Entry.Mm.Value).ThenBy(t => t.Entry.Vpn).Take(LinesMax))
        {
            text.Append("translated by: ").Append(Describe(t));
            text.Append(t.Invalidation is null ? "; its PTE still maps it" : "; PTE changed by " + t.Invalidation.Place + Inv($" at tlb_gen {t.Invalidation.TlbGen}"));
            text.Append(t.FlushedBy is null ? (t.Invalidation is null ? "\n" : "; no shootdown covering it has completed since\n") : Inv($"; flushed by the shootdown to tlb_gen {t.FlushedBy.TlbGen}\n"));
        }
    }

    private void AppendMappings(StringBuilder text, Pfn pfn)
    {
        if (mirror.LastMapped(pfn) is { } mapped)
        {
            text.Append(Inv($"mapped by: {mapped.Mm} {mapped.Address}: {mapped.New}, written by {mapped.Place}\n"));
        }

        if (mirror.LastUnmapped(pfn) is { } unmapped)
        {
            text.Append(Inv($"unmapped by: {unmapped.Mm} {unmapped.Address}: {unmapped.Place} wrote {unmapped.New}\n"));
        }
    }

    private StringBuilder AppendFrame(StringBuilder text, Pfn pfn) => text.Append("frame: ").Append(state.Frames.History(pfn)).Append('\n');
}
