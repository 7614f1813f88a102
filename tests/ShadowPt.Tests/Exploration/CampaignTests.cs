using ShadowPt.Exploration;
using ShadowPt.Scenarios;
using ShadowPt.Tests.Host;

namespace ShadowPt.Tests.Exploration;

/// <summary>
/// Campaigns on disk: interrupted (cancelled, or with the journal's last line torn as a kill -9 leaves it)
/// and resumed, they end exactly as an uninterrupted run; shards merged equal the unsharded run; foreign or
/// corrupted directories give one-line errors.
/// </summary>
public sealed class CampaignTests
{
    /// <summary>Seed 5 of the rare-order scenario first fails at schedule 259, in batch 4.</summary>
    private static readonly ExploreOptions Rare = new() { Strategy = "random", Schedules = 3000, Seed = 5, Workers = 2 };

    private static readonly Func<Scenario> RareScenario = () => new RareOrderScenario();

    private static CampaignStore Store(string dir, ExploreOptions options, Shard? shard = null) =>
        CampaignStore.Open(dir, CampaignIdentity.Of(RareScenario(), options), shard ?? Shard.Whole);

    private static ExploreResult Run(string dir, ExploreOptions options, Shard? shard = null, Action<ExploreProgress>? progress = null, CancellationToken cancel = default) =>
        CampaignRunner.Run(RareScenario, options, Store(dir, options, shard), shard ?? Shard.Whole, progress, cancel);

    private static void AssertSame(ExploreResult expected, ExploreResult actual)
    {
        Assert.Equal(expected.Explored, actual.Explored);
        Assert.Equal(expected.FirstViolationIndex, actual.FirstViolationIndex);
        Assert.Equal(expected.FirstViolation?.TraceHash, actual.FirstViolation?.TraceHash);
        Assert.Equal(expected.DistinctTraces.Count, actual.DistinctTraces.Count);
        Assert.Equal(expected.Coverage!.States, actual.Coverage!.States);
        Assert.Equal(expected.Coverage.Orderings, actual.Coverage.Orderings);
    }

    [Fact]
    public void ACancelledCampaignResumesToTheSameResultWithoutRedoingFinishedBatches()
    {
        ExploreResult whole = Explorer.Run(RareScenario, Rare);
        Assert.Equal(259, whole.FirstViolationIndex);

        using var dir = new TempDir();
        using var cancel = new CancellationTokenSource();
        ExploreResult first = Run(dir.Path, Rare, progress: p =>
        {
            if (p.Done >= 2 * Explorer.BatchSize)
            {
                cancel.Cancel();
            }
        }, cancel: cancel.Token);
        Assert.Null(first.FirstViolation);
        Assert.Equal(2 * Explorer.BatchSize, first.Explored);

        ExploreResult resumed = Run(dir.Path, Rare);
        Assert.Equal(2, resumed.Resumed);
        AssertSame(whole, resumed);

        // Once found, the violation is read back from disk, not searched for again.
        ExploreResult again = Run(dir.Path, Rare);
        Assert.Equal(5, again.Resumed);
        AssertSame(whole, again);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(30)]
    public void ATornJournalLineIsDroppedAndItsBatchRunsAgain(int bytesCut)
    {
        ExploreResult whole = Explorer.Run(RareScenario, Rare);
        using var dir = new TempDir();
        Run(dir.Path, Rare);
        string journal = Path.Combine(dir.Path, CampaignStore.JournalName);
        long length = new FileInfo(journal).Length;
        using (var stream = new FileStream(journal, FileMode.Open))
        {
            stream.SetLength(length - bytesCut); // what a kill -9 in the middle of the last append leaves
        }

        ExploreResult resumed = Run(dir.Path, Rare);
        Assert.Equal(4, resumed.Resumed);
        AssertSame(whole, resumed);
        Assert.Equal(5, File.ReadAllLines(journal).Length);
    }

    [Fact]
    public void ShardsMergedEqualTheUnshardedRun()
    {
        var options = Rare with { Schedules = 600 };
        ExploreResult whole = Explorer.Run(RareScenario, options);
        using var a = new TempDir();
        using var b = new TempDir();
        using var c = new TempDir();
        string[] dirs = [a.Path, b.Path, c.Path];
        for (int i = 0; i < 3; i++)
        {
            Run(dirs[i], options, new Shard(i, 3));
        }

        MergeResult merged = CampaignMerge.Merge(dirs);
        Assert.Equal(whole.FirstViolationIndex, merged.FirstViolationIndex);
        Assert.Empty(merged.ShardsMissing);

        // Without a violation the shards together run exactly the unsharded schedules.
        var clean = Rare with { Schedules = 200, Seed = 11 };
        ExploreResult cleanWhole = Explorer.Run(RareScenario, clean);
        Assert.Null(cleanWhole.FirstViolation);
        using var d = new TempDir();
        using var e = new TempDir();
        Run(d.Path, clean, new Shard(0, 2));
        Run(e.Path, clean, new Shard(1, 2));
        MergeResult cleanMerged = CampaignMerge.Merge([e.Path, d.Path]);
        Assert.Equal(cleanWhole.Explored, cleanMerged.Explored);
        Assert.Equal(cleanWhole.DistinctTraces.Count, cleanMerged.DistinctTraces.Count);
        Assert.Equal(cleanWhole.Coverage!.States, cleanMerged.Coverage.States);
        Assert.Equal(cleanWhole.Coverage.Orderings, cleanMerged.Coverage.Orderings);
        Assert.Equal(-1, cleanMerged.FirstViolationIndex);
    }

    [Fact]
    public void ResumingWithOtherParametersIsRefused()
    {
        using var dir = new TempDir();
        Run(dir.Path, Rare with { Schedules = 64 });
        var e = Assert.Throws<CampaignException>(() => Store(dir.Path, Rare with { Schedules = 64, Seed = 6 }));
        Assert.Contains("started with --seed 5, not 6", e.Message, StringComparison.Ordinal);
        Assert.Throws<CampaignException>(() => Store(dir.Path, Rare with { Schedules = 64 }, new Shard(1, 2)));
    }

    [Fact]
    public void CorruptedOrForeignCampaignFilesGiveClearErrors()
    {
        using var dir = new TempDir();
        var options = Rare with { Schedules = 192 };
        Run(dir.Path, options);
        string journal = Path.Combine(dir.Path, CampaignStore.JournalName);
        string[] lines = File.ReadAllLines(journal);
        lines[0] = lines[0].Replace("ran=64", "ran=63", StringComparison.Ordinal);
        File.WriteAllLines(journal, lines);
        var e = Assert.Throws<CampaignException>(() => Run(dir.Path, options));
        Assert.Contains("journal.log:1: corrupt line", e.Message, StringComparison.Ordinal);

        File.WriteAllText(Path.Combine(dir.Path, CampaignStore.ManifestName), "{ \"format\": \"something else\" }");
        Assert.Contains("not a campaign manifest", Assert.Throws<CampaignException>(() => CampaignStore.OpenExisting(dir.Path)).Message, StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(dir.Path, CampaignStore.ManifestName), "{ not json");
        Assert.Contains("not valid JSON", Assert.Throws<CampaignException>(() => CampaignStore.OpenExisting(dir.Path)).Message, StringComparison.Ordinal);

        using var other = new TempDir();
        using var another = new TempDir();
        Run(other.Path, options, new Shard(0, 2));
        Run(another.Path, options with { Seed = 6 }, new Shard(1, 2));
        Assert.Contains("is not the campaign of", Assert.Throws<CampaignException>(() => CampaignMerge.Merge([other.Path, another.Path])).Message, StringComparison.Ordinal);
        Assert.Contains("not a campaign directory", Assert.Throws<CampaignException>(() => CampaignMerge.Merge([dir.File("nothing")])).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheCommandLineResumesShardsMergesAndRefusesOneLine()
    {
        using var dir = new TempDir();
        string a = dir.File("a");
        string b = dir.File("b");
        var first = CliRunner.Run("explore", "counter", "--schedules", "128", "--campaign", a, "--shard", "0/2", "--workers", "1");
        Assert.Equal(0, first.Exit);
        var second = CliRunner.Run("explore", "counter", "--schedules", "128", "--campaign", b, "--shard", "1/2", "--workers", "1");
        Assert.Equal(0, second.Exit);
        var merged = CliRunner.Run("merge", a, b);
        Assert.Equal(0, merged.Exit);
        Assert.StartsWith("128 schedules", CliRunner.Field(merged.Out, "explored"), StringComparison.Ordinal);
        Assert.Equal("2 of 2", CliRunner.Field(merged.Out, "shards"));

        var resumed = CliRunner.Run("explore", "counter", "--schedules", "128", "--campaign", a, "--shard", "0/2", "--workers", "1");
        Assert.Contains("1 batches resumed from disk", CliRunner.Field(resumed.Out, "explored"), StringComparison.Ordinal);

        var refused = CliRunner.Run("explore", "counter", "--schedules", "128", "--seed", "2", "--campaign", a, "--shard", "0/2");
        Assert.Equal(2, refused.Exit);
        Assert.Single(CliRunner.Lines(refused.Err));
        Assert.Equal(2, CliRunner.Run("explore", "counter", "--shard", "2/2", "--campaign", a).Exit);
        Assert.Equal(2, CliRunner.Run("explore", "counter", "--shard", "0/2").Exit);
        Assert.Equal(2, CliRunner.Run("merge", a, dir.File("missing")).Exit);
    }
}
