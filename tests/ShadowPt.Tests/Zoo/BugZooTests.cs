using ShadowPt.Exploration;
using ShadowPt.Kernel;
using ShadowPt.Scenarios;
using ShadowPt.Scenarios.BuiltIn;

namespace ShadowPt.Tests.Zoo;

/// <summary>
/// The bug zoo: each variant's scenario file (config/scenarios/zoo), explored with the default
/// portfolio from a fixed campaign seed, reaches the variant's violation kind within <see cref="SchedulesMax"/> schedules; the
/// correct model (the same file without its variants) passes all of those schedules clean.
/// </summary>
public sealed class BugZooTests
{
    /// <summary>Campaign seed of every exploration here.</summary>
    private const ulong CampaignSeed = 1;

    /// <summary>Schedules each exploration may run (the buggy runs stop at their first violation).</summary>
    private const long SchedulesMax = 200;

    public static TheoryData<string, string> Zoo => new()
    {
        { "shadow-update-at-invalidate-start", "shadow-inconsistent" },
        { "shadow-update-without-lock", "data-race" },
        { "torn-shadow-entry", "data-race" },
        { "close-frees-before-zap", "free-while-mapped" },
        { "unregister-without-sync", "use-after-free" },
        { "stop-keeps-notifier", "use-after-free" },
        { "inspector-exit-leaks", "resource-leak" },
        { "stack-growth-untracked", "shadow-inconsistent" },
        { "free-before-shootdown", "free-before-flush" },
        { "abba-mmap-shadow", "deadlock" },
        { "dirty-cow", "page-cache-corrupted" },
        { "clear-refs-no-flush", "stale-tlb" },
    };

    /// <summary>The zoo's scenario file of <paramref name="variant"/>, as shipped.</summary>
    public static ScenarioDefinition Load(string variant) =>
        ScenarioFile.Load(Path.Combine(AppContext.BaseDirectory, "config", "scenarios", "zoo", variant + ".json"));

    /// <summary>The same scenario with the variants list removed: the correct model.</summary>
    public static ScenarioDefinition Correct(ScenarioDefinition definition) =>
        definition with { Machine = definition.Machine with { Variants = new HashSet<string>(StringComparer.Ordinal) } };

    private static ExploreResult Explore(ScenarioDefinition definition, long schedules) =>
        Explorer.Run(() => new ShadowPtScenario(definition), new ExploreOptions { Seed = CampaignSeed, Schedules = schedules, Workers = 2 });

    [Theory]
    [MemberData(nameof(Zoo))]
    public void ExploreFindsTheVariantAndTheCorrectModelPassesAsManySchedules(string variant, string kind)
    {
        ScenarioDefinition definition = Load(variant);
        Assert.Equal([variant], definition.Machine.Variants);

        ExploreResult buggy = Explore(definition, SchedulesMax);
        Assert.True(buggy.FirstViolation is not null, $"{variant}: no violation in {buggy.Explored} schedules");
        Assert.Equal(kind, buggy.FirstViolation!.Violation!.Kind);

        ExploreResult correct = Explore(Correct(definition), SchedulesMax);
        Assert.True(correct.FirstViolation is null, $"correct model of {variant}: {correct.FirstViolation?.Violation?.Kind}: {correct.FirstViolation?.Violation?.Message}");
        Assert.Equal(SchedulesMax, correct.Explored);
    }

    [Fact]
    public void EveryVariantTheScenarioFilesKnowHasAZooScenario()
    {
        string[] zoo = [.. Zoo.Select(row => (string)row[0])];
        string[] outsideZoo = [KernelContext.PartialFlushAfterMissedFlushVariant];
        Assert.Equal(
            ScenarioFile.VariantNames.Except(outsideZoo).Order(StringComparer.Ordinal),
            zoo.Where(v => ScenarioFile.VariantNames.Contains(v)).Order(StringComparer.Ordinal));
    }
}
