using System.Text;
using ShadowPt.Kernel;
using ShadowPt.Kernel.Programs;
using ShadowPt.Scenarios;
using ShadowPt.Scenarios.BuiltIn;

namespace ShadowPt.Tests.Kernel.Swap;

/// <summary>The scenario-file forms of the soft-dirty and page-out steps, and the two shipped files.</summary>
public sealed class SwapScenarioFileTests
{
    private static ScenarioDefinition Parse(string json) => ScenarioFile.Parse(Encoding.UTF8.GetBytes(json), "s.json", null);

    [Fact]
    public void TheNewOpsAndMachineFieldsParse()
    {
        ScenarioDefinition d = Parse("""
            { "name": "m", "machine": { "swapSlots": 3, "memSoftDirty": true }, "processes": [ { "name": "t", "program": [
              { "op": "mmap", "label": "a", "pages": 2 },
              { "op": "madvise-pageout", "label": "a", "page": 1 },
              { "op": "process-madvise-pageout", "target": "t", "address": "0x10002000", "pages": 2 },
              { "op": "clear-refs" },
              { "op": "clear-refs", "target": "t" },
              { "op": "mlockall", "flags": ["current", "future"] } ] } ] }
            """);
        Assert.Equal((3, true), (d.Machine.SwapSlots, d.Machine.MemSoftDirty));
        Assert.Equal(
            ["mmap(a, 2 pages, rw-, private|anonymous)", "madvise(a+1, 1 page, MADV_PAGEOUT)", "process_madvise(t, 0x10002000, 2 pages, MADV_PAGEOUT)", "clear_refs(self, 4)", "clear_refs(t, 4)", "mlockall(Current, Future)"],
            d.Processes[0].Program.Steps.Select(s => s.Text));
        Assert.IsType<MlockallStep>(d.Processes[0].Program.Steps[5]);
    }

    [Theory]
    [InlineData("""{ "op": "process-madvise-pageout", "target": "t", "address": "0x1001", "pages": 1 }""", "$.processes[0].program[0].address: must be a page-aligned user address")]
    [InlineData("""{ "op": "process-madvise-pageout", "target": "t", "address": "4096", "pages": 1 }""", "$.processes[0].program[0].address: must be a page-aligned user address")]
    [InlineData("""{ "op": "clear-refs", "target": "no such" }""", "$.processes[0].program[0].target: must be 1 to 48 letters")]
    [InlineData("""{ "op": "mlockall", "flags": ["always"] }""", "$.processes[0].program[0].flags")]
    public void BadStepsAreOneLineErrors(string step, string expected)
    {
        var e = Assert.Throws<ScenarioFormatException>(() => Parse($$"""{ "name": "m", "processes": [ { "name": "t", "program": [ {{step}} ] } ] }"""));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData("soft-dirty-tracking.json")]
    [InlineData("pageout-race.json")]
    public void TheShippedFilesRunCleanUnderSeveralSeeds(string file)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "config", "scenarios", file);
        for (ulong seed = 1; seed <= 4; seed++)
        {
            var scenario = new ShadowPtScenario(ScenarioFile.Load(path));
            RunReport report = ScenarioRunner.Run(() => scenario, new RunOptions { Seed = seed, StepsMax = 200_000 });
            Assert.True(report.Violation is null, $"seed {seed}: {report.Violation?.Message}");
            Assert.True(SwapInfo.Of(scenario.Machine!.State).PagesSwappedOut > 0);
            if (file == "pageout-race.json")
            {
                KernelState s = scenario.Machine!.State;
                Assert.All([0, 1, 2], page => Assert.True(SwapWorld.Entry(s, SwapWorld.Data, page).Present)); // the final mlockall faulted them in
                Assert.Equal((81, 83), (SwapWorld.FirstByte(s, SwapWorld.Data, 0), SwapWorld.FirstByte(s, SwapWorld.Data, 1)));
                Assert.Equal(0, SwapInfo.Of(s).InusePages);
            }
        }
    }

    [Fact]
    public void TheCatalogListsBothBuiltIns()
    {
        Assert.Contains("soft-dirty", ScenarioCatalog.Names);
        Assert.Contains("pageout", ScenarioCatalog.Names);
        Assert.True(SwapScenarios.SoftDirty().Definition.Machine.MemSoftDirty);
    }
}
