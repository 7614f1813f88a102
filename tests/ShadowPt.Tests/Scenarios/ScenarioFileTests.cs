using System.Text;
using ShadowPt.Scenarios;
using ShadowPt.Scenarios.BuiltIn;
using ShadowPt.Tests.Host;

namespace ShadowPt.Tests.Scenarios;

public sealed class ScenarioFileTests
{
    private const string Minimal = """
        { "name": "m", "processes": [ { "name": "t", "program": [ { "op": "mmap", "label": "a", "pages": 2 } ] } ],
          "inspectors": [ { "name": "i", "target": "t", "start": "0x10000000", "end": "0x10002000" } ] }
        """;

    private static ScenarioDefinition Parse(string json) => ScenarioFile.Parse(Encoding.UTF8.GetBytes(json), "s.json", null);

    [Fact]
    public void MinimalFileHasTheDocumentedDefaults()
    {
        ScenarioDefinition d = Parse(Minimal);
        Assert.Equal("m", d.Name);
        Assert.Equal(2, d.Machine.Cpus);
        Assert.Equal(1UL, d.Seed);
        Assert.Null(d.Strategy);
        InspectorDefinition i = Assert.Single(d.Inspectors);
        Assert.Equal((1, 8, 1L), (i.Cpu, i.Ticks, i.PeriodTicks));
        Assert.Equal(ScenarioDefinition.CheckNames.Order(), d.Checks.Order());
    }

    [Theory]
    [InlineData("""{ "name": "m", "processes": [], "bogus": 1 }""", "s.json: $: unknown field 'bogus'")]
    [InlineData("""{ "processes": [] }""", "s.json: $.name: is required")]
    [InlineData("""{ "name": "bad name", "processes": [] }""", "s.json: $.name: must be 1 to 48 letters")]
    [InlineData("""{ "name": "m", "machine": { "cpus": 65 }, "processes": [] }""", "s.json: $.machine.cpus: must be an integer from 1 to 64")]
    [InlineData("""{ "name": "m", "variants": ["nope"], "processes": [] }""", "s.json: $.variants[0]: must be one of:")]
    [InlineData("""{ "name": "m", "strategy": "dfs", "processes": [] }""", "s.json: $.strategy: must be one of: random, pct")]
    [InlineData("""{ "name": "m", "processes": [ { "name": "t", "program": [ { "op": "fly" } ] } ] }""", "s.json: $.processes[0].program[0].op: must be one of:")]
    [InlineData("""{ "name": "m", "processes": [ { "name": "t", "program": [ { "op": "mmap", "label": "a", "pages": 9999 } ] } ] }""", "s.json: $.processes[0].program[0].pages: must be an integer from 1 to 64")]
    [InlineData("""{ "name": "m", "processes": [ { "name": "t", "program": [ { "op": "write", "label": "a" } ] } ] }""", "s.json: $.processes[0].program: ")]
    [InlineData("""{ "name": "m", "processes": [ { "name": "t", "program": [ { "op": "mmap", "label": "a", "pages": 1, "prot": "rq" } ] } ] }""", "$.processes[0].program[0].prot: must be made of r, w, x and -")]
    [InlineData("""{ "name": "m", "processes": [ { "name": "t", "cpu": 5, "program": [] } ] }""", "s.json: $.processes[0].cpu: must be an integer from 0 to 1")]
    [InlineData("""{ "name": "m", "processes": [ { "name": "t", "program": [ { "op": "mmap", "label": "a", "pages": 1 } ] } ], "inspectors": [ { "name": "i", "target": "x", "start": 0, "end": 4096 } ] }""", "s.json: $.inspectors[0].target: names no process of this scenario: 'x'")]
    [InlineData("""{ "name": "m", "processes": [ { "name": "t", "program": [ { "op": "mmap", "label": "a", "pages": 1 } ] } ], "inspectors": [ { "name": "i", "target": "t", "start": "0x1001", "end": 8192 } ] }""", "s.json: $.inspectors[0].start: must be page aligned")]
    [InlineData("""{ "name": "m", "processes": [ { "name": "t", "program": [ { "op": "repeat", "times": 65, "steps": [ { "op": "execve" } ] } ] } ] }""", "s.json: $.processes[0].program[0].times: must be an integer from 1 to 64")]
    [InlineData("""{ "name": "m", "processes": [ { "name": "t", "program": [ { "op": "repeat", "times": 60, "steps": [ { "op": "execve" }, { "op": "execve" } ] } ] } ] }""", "s.json: $.processes[0].program: has more than 64 steps once repeats are expanded")]
    [InlineData("""{ "name": "m", "processes": [ { "name": "t", "program": [ { "op": "fork", "child": "p2" } ] } ] }""", "$.processes[0].program[0].child: this fork creates p1")]
    [InlineData("""{ "name": "m", "processes": [ { "name": "t", "program": [ { "op": "execve" } ] }, { "name": "t", "program": [ { "op": "execve" } ] } ] }""", "s.json: $.processes: the name 't' is used twice")]
    [InlineData("""{ "name": "m", "processes": [ """, "s.json: not valid JSON")]
    [InlineData("""[1, 2]""", "s.json: $: must be an object")]
    public void BadFilesAreRejectedWithFileJsonPathAndReason(string json, string expected)
    {
        ScenarioFormatException e = Assert.Throws<ScenarioFormatException>(() => Parse(json));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void RepeatBlocksExpandInOrder()
    {
        ScenarioDefinition d = Parse("""
            { "name": "m", "processes": [ { "name": "t", "program": [
              { "op": "mmap", "label": "a", "pages": 2 },
              { "op": "repeat", "times": 3, "steps": [ { "op": "write", "label": "a", "value": 9, "think": 2 }, { "op": "read", "label": "a", "page": 1 } ] } ] } ] }
            """);
        var steps = d.Processes[0].Program.Steps;
        Assert.Equal(7, steps.Length);
        Assert.Equal(["mmap", "write", "read", "write", "read", "write", "read"], steps.Select(s => s.Text.Split('(')[0]).ToArray());
        Assert.All(steps.Where(s => s.Text.StartsWith("write", StringComparison.Ordinal)), s => Assert.Equal(2, s.ThinkTicks));
    }

    [Fact]
    public void EveryShippedScenarioFileRunsCleanAndReplays()
    {
        string dir = Path.Combine(AppContext.BaseDirectory, "config", "scenarios");
        string[] files = Directory.GetFiles(dir, "*.json");
        Assert.NotEmpty(files);
        using var temp = new TempDir();
        foreach (string file in files)
        {
            string schedule = temp.File(Path.GetFileNameWithoutExtension(file) + ".schedule");
            var run = CliRunner.Run("run", file, "--schedule-out", schedule);
            Assert.True(run.Exit == 0, $"{file}: {run.Out}{run.Err}");
            var replay = CliRunner.Run("replay", schedule);
            Assert.Equal(0, replay.Exit);
            Assert.Equal(CliRunner.Field(run.Out, "trace-hash"), CliRunner.Field(replay.Out, "trace-hash"));
        }
    }

    [Fact]
    public void EditedScenarioFileMakesItsScheduleStale()
    {
        using var temp = new TempDir();
        string file = temp.File("s.json");
        File.WriteAllText(file, Minimal);
        string schedule = temp.File("s.schedule");
        Assert.Equal(0, CliRunner.Run("run", file, "--schedule-out", schedule).Exit);
        File.WriteAllText(file, Minimal.Replace("\"pages\": 2", "\"pages\": 3", StringComparison.Ordinal));
        var (exit, _, error) = CliRunner.Run("replay", schedule);
        Assert.Equal(2, exit);
        Assert.Contains("content hash", error, StringComparison.Ordinal);
    }

    [Fact]
    public void BadScenarioFileOnTheCommandLineIsExitTwoWithPath()
    {
        using var temp = new TempDir();
        string file = temp.File("bad.json");
        File.WriteAllText(file, """{ "name": "m", "processes": [ { "name": "t", "program": [ { "op": "mmap", "label": "a" } ] } ] }""");
        var (exit, output, error) = CliRunner.Run("run", file);
        Assert.Equal(2, exit);
        Assert.Equal("", output);
        Assert.Equal($"shadowpt: {file}: $.processes[0].program[0].pages: is required", CliRunner.Lines(error).Single());
    }

    [Fact]
    public void OversizedScenarioFileIsRefusedWithoutParsing()
    {
        using var temp = new TempDir();
        string file = temp.File("big.json");
        File.WriteAllText(file, new string(' ', (int)ScenarioFile.FileBytesMax + 1));
        ScenarioFormatException e = Assert.Throws<ScenarioFormatException>(() => ScenarioFile.Load(file));
        Assert.Contains("larger than the 1048576-byte limit", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FileScenarioUsesItsSeedAndStrategyUnlessTheCommandLineSaysOtherwise()
    {
        using var temp = new TempDir();
        string file = temp.File("s.json");
        File.WriteAllText(file, Minimal.Replace("\"name\": \"m\",", "\"name\": \"m\", \"seed\": 9, \"strategy\": \"pct\",", StringComparison.Ordinal));
        var run = CliRunner.Run("run", file);
        Assert.StartsWith("pct(", CliRunner.Field(run.Out, "strategy"), StringComparison.Ordinal);
        Assert.Contains("seed=9", CliRunner.Field(run.Out, "strategy"), StringComparison.Ordinal);
        var overridden = CliRunner.Run("run", file, "--strategy", "random", "--seed", "4");
        Assert.Equal("random(seed=4)", CliRunner.Field(overridden.Out, "strategy"));
        _ = new ShadowPtScenario(Parse(Minimal));
    }
}

public sealed class FileMappingScenarioTests
{
    [Fact]
    public void FileMappingsGoThroughThePageCacheAndShowAsAllocatedButNotAnonymous()
    {
        string file = Path.Combine(AppContext.BaseDirectory, "config", "scenarios", "file-mapping.json");
        var scenario = new ShadowPtScenario(ScenarioFile.Load(file));
        RunReport report = ScenarioRunner.Run(() => scenario, new RunOptions());
        Assert.Null(report.Violation);
        var state = scenario.Machine!.State;
        var mm = state.Tasks.First(t => t.Comm == "target").Mm!;
        Assert.Equal(3, mm.MajFlt); // /data/config pages 0 and 3, /data/log page 1 read from "disk"
        var conf = mm.Vmas.VmaLookup(new ShadowPt.Kernel.VirtAddr(0x40000000))!;
        Assert.Equal("/data/config", conf.VmFile!.Path);
        ShadowPt.Kernel.Pte written = mm.Pgd.GetPte(new ShadowPt.Kernel.VirtAddr(0x40000000));
        Assert.Equal(ShadowPt.Kernel.FrameKind.Anon, state.Frames.Kind(written.Pfn)); // the write made a private copy
        ShadowPt.Kernel.Pte shared = mm.Pgd.GetPte(new ShadowPt.Kernel.VirtAddr(0x40005000));
        Assert.Equal(ShadowPt.Kernel.FrameKind.PageCache, state.Frames.Kind(shared.Pfn)); // written in place
        Span<byte> b = stackalloc byte[1];
        state.Frames.ReadBytes(mm.Pgd.GetPte(new ShadowPt.Kernel.VirtAddr(0x40003000)).Pfn, 0, b, new ShadowPt.Kernel.Provenance(0, "test"));
        Assert.Equal(67, b[0]); // the file's contents
        Assert.Contains(scenario.Output, l => l.Contains("0x40000000 pfn", StringComparison.Ordinal) && l.EndsWith("[allocated - mapped]", StringComparison.Ordinal));
    }

    [Fact]
    public void MappingAFileTheMachineDoesNotHaveIsRejected()
    {
        ScenarioFormatException e = Assert.Throws<ScenarioFormatException>(() => ScenarioFile.Parse(System.Text.Encoding.UTF8.GetBytes(
            """{ "name": "m", "files": [ { "path": "relative", "pages": 1 } ], "processes": [] }"""), "s.json", null));
        Assert.Contains("$.files[0].path: must be an absolute path", e.Message, StringComparison.Ordinal);
    }
}
