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

    /// <summary>Pages sent in all.</summary>
    public int TotalPages => PagesPerRound.Sum() + PagesAtFreeze;

    /// <summary>Ticks the process ran nowhere: from the freeze until the destination resumed.</summary>
    public long FreezeTicks => ResumeTick >= 0 && FreezeTick >= 0 ? ResumeTick - FreezeTick : -1;

    /// <summary>The report's lines.</summary>
    public IEnumerable<string> Lines()
    {
        yield return string.Create(CultureInfo.InvariantCulture, $"migration ({Mode}): pages sent per round: {string.Join(", ", PagesPerRound)}; at freeze: {PagesAtFreeze}; total: {TotalPages}");
        yield return string.Create(CultureInfo.InvariantCulture, $"migration: dirty pages seen before each decision: {string.Join(", ", DirtyCounts)}");
        yield return string.Create(CultureInfo.InvariantCulture, $"migration: frozen at tick {FreezeTick}, resumed on the destination (pid {DestinationPid}) at tick {ResumeTick}: freeze time {FreezeTicks} ticks");
    }
}
