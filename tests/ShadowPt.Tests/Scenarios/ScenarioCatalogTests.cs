using ShadowPt.Scenarios;
using ShadowPt.Scenarios.BuiltIn;

namespace ShadowPt.Tests.Scenarios;

/// <summary>The catalog builds the default definition once per process; every lookup must still be a fresh, independent scenario.</summary>
public sealed class ScenarioCatalogTests
{
    [Theory]
    [InlineData(ScenarioCatalog.DefaultName)]
    [InlineData("shadowpt")]
    public void EachLookupIsAFreshScenarioOverTheSameDefinition(string name)
    {
        var first = (ShadowPtScenario)ScenarioCatalog.TryCreate(name)!;
        var second = (ShadowPtScenario)ScenarioCatalog.TryCreate(name)!;
        Assert.NotSame(first, second);
        Assert.Equal(name, first.Name);
        Assert.Same(first.Definition, second.Definition);
        Assert.Equal(ShadowPtScenario.Default(name).Definition.Description, first.Definition.Description);

        // Narrowing one run's checks must not reach the shared definition or another run.
        first.SelectChecks(new HashSet<string>(["resources"], StringComparer.Ordinal));
        Assert.Equal(["resources"], first.Checks);
        Assert.Equal(ScenarioDefinition.CheckNames.Count, second.Checks.Count);
        Assert.Equal(ScenarioDefinition.CheckNames.Count, ((ShadowPtScenario)ScenarioCatalog.TryCreate(name)!).Checks.Count);
    }

    [Fact]
    public void RunsOfCachedDefinitionsMatchAFreshlyBuiltOne()
    {
        var options = new RunOptions { Seed = 5 };
        RunReport cached = ScenarioRunner.Run(() => ScenarioCatalog.TryCreate(ScenarioCatalog.DefaultName)!, options);
        RunReport again = ScenarioRunner.Run(() => ScenarioCatalog.TryCreate(ScenarioCatalog.DefaultName)!, options);
        RunReport fresh = ScenarioRunner.Run(() => ShadowPtScenario.Default(ScenarioCatalog.DefaultName), options);
        Assert.Equal(fresh.TraceHash, cached.TraceHash);
        Assert.Equal(fresh.TraceHash, again.TraceHash);
        Assert.Equal(fresh.Steps, cached.Steps);
        Assert.Equal(fresh.Description, again.Description);
    }
}
