using System.Text;
using ShadowPt.Kernel;
using ShadowPt.Kernel.Programs;
using ShadowPt.Scenarios;

namespace ShadowPt.Tests.Scenarios;

/// <summary>The faultPolicy, machine.numa, spin and set-mempolicy parts of scenario files.</summary>
public sealed class PolicyScenarioFileTests
{
    private const string Base = """
        { "name": "m", "machine": { "cpus": 2 MACHINE }, FAULTPOLICY
          "processes": [ { "name": "t", "program": [ { "op": "mmap", "label": "a", "pages": 1 }, STEP ] } ] }
        """;

    private static ScenarioDefinition Parse(string machine = "", string faultPolicy = "", string step = """{ "op": "read", "label": "a" }""") =>
        ScenarioFile.Parse(Encoding.UTF8.GetBytes(Base.Replace("MACHINE", machine, StringComparison.Ordinal)
            .Replace("FAULTPOLICY", faultPolicy, StringComparison.Ordinal).Replace("STEP", step, StringComparison.Ordinal)), "s.json", null);

    [Fact]
    public void TheNewFieldsParse()
    {
        ScenarioDefinition d = Parse(
            """, "numa": { "nodes": 2, "ratelimitPages": 0 }""",
            """ "faultPolicy": { "process": "t", "retriesMax": 5 }, """,
            """{ "op": "spin", "label": "a", "ticks": 40, "value": 7 }, { "op": "set-mempolicy", "mode": "bind", "nodes": [1] }""");
        Assert.Equal(new FaultPolicyConfig { Process = "t", RetriesMax = 5 }, d.Machine.FaultPolicy);
        Assert.Equal((2, true, 0, 60000), (d.Machine.Numa!.Nodes, d.Machine.Numa.Balancing, d.Machine.Numa.RatelimitPages, d.Machine.Numa.ScanPeriodMaxMs));
        ProgramStep[] steps = d.Processes[0].Program.Steps.ToArray();
        Assert.Equal(new SpinStep("a", 0, 40, 7), steps[1]);
        Assert.Equal(new SetMempolicyStep(MemPolicyMode.Bind, 0b10), steps[2]);
        Assert.Null(Parse().Machine.Numa);
        Assert.Null(Parse().Machine.FaultPolicy);
    }

    [Theory]
    [InlineData("", """ "faultPolicy": { "process": "nobody" }, """, "", "$.faultPolicy.process: names no process")]
    [InlineData("", """ "faultPolicy": { "process": "t", "retriesMax": 9 }, """, "", "$.faultPolicy.retriesMax")]
    [InlineData(""", "numa": { "nodes": 3 }""", "", "", "$.machine.numa.nodes")]
    [InlineData(""", "numa": { "scanPeriodMinMs": 500, "scanPeriodMaxMs": 100 }""", "", "", "$.machine.numa.scanPeriodMaxMs")]
    [InlineData("", "", """{ "op": "spin", "label": "a", "ticks": 0 }""", ".ticks")]
    [InlineData("", "", """{ "op": "set-mempolicy", "mode": "bind" }""", ".nodes: bind needs at least one node")]
    [InlineData("", "", """{ "op": "set-mempolicy", "mode": "interleave" }""", ".mode: must be one of: bind, default")]
    [InlineData("", "", """{ "op": "set-mempolicy", "mode": "bind", "nodes": [9] }""", ".nodes[0]: must be a node number")]
    public void BadValuesAreRefusedWithTheirPath(string machine, string faultPolicy, string step, string expected)
    {
        ScenarioFormatException e = Assert.Throws<ScenarioFormatException>(() =>
            step.Length == 0 ? Parse(machine, faultPolicy) : Parse(machine, faultPolicy, step));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }
}
