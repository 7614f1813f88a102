using System.Text;
using ShadowPt.Kernel;
using ShadowPt.Kernel.Programs;
using ShadowPt.Runtime;
using ShadowPt.Scenarios;
using ShadowPt.Scenarios.BuiltIn;

namespace ShadowPt.Tests.Kernel.Userfaultfd;

/// <summary>userfaultfd steps in scenario files.</summary>
public sealed class UserfaultfdScenarioFileTests
{
    [Fact]
    public void TheWpScenarioFileRunsWithEveryFaultResolved()
    {
        ScenarioDefinition definition = ScenarioFile.Load(Path.Combine(AppContext.BaseDirectory, "config", "scenarios", "userfaultfd-wp.json"));
        Assert.Single(definition.Monitors); // a program using userfaultfd gets the userfaultfd monitor
        for (ulong seed = 1; seed <= 6; seed++)
        {
            var scenario = new ShadowPtScenario(definition);
            RunReport report = ScenarioRunner.Run(() => scenario, new RunOptions { Seed = seed, StepsMax = 200_000 });
            Assert.Null(report.Violation);
            UffdMsg[] read = scenario.Machine!.State.Extension<UffdState>().Contexts[0].ReadLog.ToArray();
            Assert.Equal(2, read.Count(m => (m.Flags & UffdPagefaultFlags.Wp) != 0));
            Assert.Equal(2, read.Count(m => m.Event == UffdEvent.Pagefault && (m.Flags & UffdPagefaultFlags.Wp) == 0));
            Assert.Single(read, m => m.Event == UffdEvent.Remove);
        }
    }

    [Fact]
    public void StepsParseIntoTheirRecords()
    {
        ScenarioDefinition d = Parse("""
            [ { "op": "mmap", "label": "a", "pages": 2 },
              { "op": "fork", "child": "p1" },
              { "op": "userfaultfd", "features": ["event-fork", "minor-shmem"] },
              { "op": "uffd-register", "label": "a", "pages": 2, "mode": ["missing", "wp"] },
              { "op": "uffd-send", "to": "p1" },
              { "op": "uffd-recv", "process": "p1" },
              { "op": "uffd-serve", "process": "p1", "count": 2, "resolve": "zeropage", "dontwake": true },
              { "op": "uffd-copy", "process": "p1", "label": "a", "page": 1, "fill": 7 },
              { "op": "uffd-writeprotect", "label": "a", "enable": false } ]
            """);
        ProgramStep[] steps = [.. d.Processes[0].Program.Steps];
        Assert.Equal(new UserfaultfdStep(UffdFeatures.EventFork | UffdFeatures.MinorShmem), steps[2]);
        Assert.Equal(UffdRegisterMode.Missing | UffdRegisterMode.Wp, ((UffdRegisterStep)steps[3]).Mode);
        Assert.Equal(new ProcessId(1), ((UffdSendStep)steps[4]).To);
        Assert.Equal(new UffdServeStep(2, UffdResolve.Zeropage, 0x5a, true) { Process = new ProcessId(1) }, steps[6]);
        Assert.Equal(7, ((UffdCopyStep)steps[7]).Fill);
        Assert.False(((UffdWriteprotectStep)steps[8]).Enable);
        Assert.Equal("uffd-serve(uffd0, 2, zeropage, 0x5a, dontwake)", steps[6].Text);
    }

    [Theory]
    [InlineData("""{ "op": "uffd-register", "label": "a", "mode": [] }""", "mode")]
    [InlineData("""{ "op": "uffd-register", "label": "a", "mode": ["sometimes"] }""", "mode")]
    [InlineData("""{ "op": "uffd-serve", "count": 0 }""", "count")]
    [InlineData("""{ "op": "uffd-serve", "count": 1, "resolve": "maybe" }""", "resolve")]
    [InlineData("""{ "op": "uffd-send", "to": "px" }""", "to")]
    [InlineData("""{ "op": "userfaultfd", "features": ["everything"] }""", "features")]
    public void BadStepsAreOneLineErrorsNamingTheField(string step, string field)
    {
        ScenarioFormatException e = Assert.Throws<ScenarioFormatException>(() => Parse($$"""[ { "op": "mmap", "label": "a", "pages": 2 }, {{step}} ]"""));
        Assert.Contains(field, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    private static ScenarioDefinition Parse(string program) => ScenarioFile.Parse(
        Encoding.UTF8.GetBytes($$"""{ "name": "u", "description": "d", "processes": [ { "name": "t", "program": {{program}} } ], "inspectors": [] }"""), "u.json", null);
}
