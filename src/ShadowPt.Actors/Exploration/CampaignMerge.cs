namespace ShadowPt.Exploration;

/// <summary>The joined results of a campaign's shard directories.</summary>
public sealed record MergeResult(
    CampaignIdentity Identity,
    int ShardCount,
    IReadOnlyList<int> ShardsPresent,
    long Explored,
    long FirstViolationIndex,
    string? FirstViolationSchedule,
    CoverageSet Coverage,
    IReadOnlyDictionary<string, long> DistinctTraces)
{
    /// <summary>Shards of the campaign that no directory holds.</summary>
    public IEnumerable<int> ShardsMissing => Enumerable.Range(0, ShardCount).Except(ShardsPresent);
}

/// <summary>
/// <c>shadowpt merge</c>: joins shard directories of one campaign: total explored, the violation with the
/// lowest global schedule index, the union of coverage and of distinct traces. Directories of different
/// campaigns, of different shard splits, or the same shard twice are refused.
/// </summary>
public static class CampaignMerge
{
    /// <summary>Most directories one merge reads.</summary>
    public const int DirectoriesMax = 4096;

    public static MergeResult Merge(IReadOnlyList<string> directories)
    {
        ArgumentNullException.ThrowIfNull(directories);
        if (directories.Count == 0 || directories.Count > DirectoriesMax)
        {
            throw new CampaignException($"merge needs from 1 to {DirectoriesMax} campaign directories");
        }

        var coverage = new CoverageSet();
        var traces = new Dictionary<string, long>(StringComparer.Ordinal);
        CampaignStore? first = null;
        var shards = new SortedSet<int>();
        long explored = 0;
        long violation = -1;
        string? violationSchedule = null;
        foreach (string directory in directories)
        {
            CampaignStore store = CampaignStore.OpenExisting(directory);
            if (first is null)
            {
                first = store;
            }
            else if (store.Identity.Difference(first.Identity) is string difference)
            {
                throw new CampaignException($"{directory} is not the campaign of {first.Directory}: it has {difference}");
            }
            else if (store.Shard.Count != first.Shard.Count)
            {
                throw new CampaignException($"{directory} is shard {store.Shard}, but {first.Directory} is shard {first.Shard}: a campaign is split one way");
            }

            if (!shards.Add(store.Shard.Index))
            {
                throw new CampaignException($"{directory}: shard {store.Shard} is given twice");
            }

            CampaignState state = store.Read(coverage, traces);
            explored += state.Explored;
            if (state.FirstViolationIndex >= 0 && (violation < 0 || state.FirstViolationIndex < violation))
            {
                violation = state.FirstViolationIndex;
                violationSchedule = store.ViolationPath(violation);
            }
        }

        return new MergeResult(first!.Identity, first.Shard.Count, [.. shards], explored, violation, violationSchedule, coverage, traces);
    }
}
