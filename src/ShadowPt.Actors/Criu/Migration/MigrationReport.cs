using System.Globalization;

namespace ShadowPt.Criu;

/// <summary>What a live migration did: pages per round, freeze window, memory at freeze and at resume.</summary>
public sealed class MigrationReport
{
    /// <summary>The mode (pre-copy).</summary>
    public string Mode { get; set; } = string.Empty;

    /// <summary>Pages sent in each round while the process ran (the first is the full copy).</summary>
    public List<int> PagesPerRound { get; } = new();

    /// <summary>Pages sent after the freeze (the final dump).</summary>
    public int PagesAtFreeze { get; set; }

    /// <summary>Soft-dirty pages counted before each decision to go on or freeze.</summary>
    public List<int> DirtyCounts { get; } = new();

    public long FreezeTick { get; set; } = -1;

    /// <summary>The tick the destination process resumed (its restore finished).</summary>
    public long ResumeTick { get; set; } = -1;

    public MemorySnapshot? SourceAtFreeze { get; set; }

    public MemorySnapshot? DestinationAtResume { get; set; }

    /// <summary>The destination's pid.</summary>
    public int DestinationPid { get; set; }

    public string? Error { get; set; }

    /// <summary>Post-copy: pages the destination fetched because a task faulted on them.</summary>
    public int PagesOnDemand { get; set; }

    /// <summary>Post-copy: page-fault messages the lazy-pages daemon read.</summary>
    public int FaultsRead { get; set; }

    /// <summary>Post-copy: pages fetched in the background, before anything faulted on them.</summary>
    public int PagesPushed { get; set; }

    /// <summary>Post-copy: faults on addresses the source had no page for, answered with UFFDIO_ZEROPAGE.</summary>
    public int ZeroPages { get; set; }

    /// <summary>Post-copy: UFFDIO_COPY answers of -EEXIST (the page was already there), each followed by UFFDIO_WAKE.</summary>
    public int CopiesExisting { get; set; }

    /// <summary>Post-copy: pages the source listed at freeze, each to be transferred once.</summary>
    public int LazyPages { get; set; }

    /// <summary>Post-copy: page requests sent more than once for one address (must stay 0).</summary>
    public int DuplicateRequests { get; set; }

    /// <summary>Post-copy: the tick the last lazy page arrived on the destination (-1 before).</summary>
    public long CompleteTick { get; set; } = -1;

    /// <summary>Pages sent in all.</summary>
    public int TotalPages => PagesPerRound.Sum() + PagesAtFreeze + PagesOnDemand + PagesPushed;

    /// <summary>Ticks the process ran nowhere: from the freeze until the destination resumed.</summary>
    public long FreezeTicks => ResumeTick >= 0 && FreezeTick >= 0 ? ResumeTick - FreezeTick : -1;

    /// <summary>The report's lines.</summary>
    public IEnumerable<string> Lines()
    {
        if (PagesPerRound.Count == 0 && LazyPages > 0)
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"migration ({Mode}): pages sent at freeze: {PagesAtFreeze}; after the resume: {PagesOnDemand + PagesPushed}; total: {TotalPages}");
        }
        else
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"migration ({Mode}): pages sent per round: {string.Join(", ", PagesPerRound)}; at freeze: {PagesAtFreeze}; total: {TotalPages}");
            yield return string.Create(CultureInfo.InvariantCulture, $"migration: dirty pages seen before each decision: {string.Join(", ", DirtyCounts)}");
        }
        yield return string.Create(CultureInfo.InvariantCulture, $"migration: frozen at tick {FreezeTick}, resumed on the destination (pid {DestinationPid}) at tick {ResumeTick}: freeze time {FreezeTicks} ticks");
        if (LazyPages > 0 || PagesOnDemand > 0 || PagesPushed > 0)
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"migration: post-copy: {LazyPages} lazy pages; faults read: {FaultsRead}; fetched on demand: {PagesOnDemand}; pushed: {PagesPushed}; zero pages: {ZeroPages}; UFFDIO_COPY -EEXIST: {CopiesExisting}; last page in at tick {CompleteTick}");
        }
    }
}
