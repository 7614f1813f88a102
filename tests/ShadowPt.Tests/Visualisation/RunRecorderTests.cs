using System.Text.RegularExpressions;
using ShadowPt.Runtime.Recording;
using ShadowPt.Scenarios;
using ShadowPt.Scenarios.BuiltIn;
using ShadowPt.Spt;
using ShadowPt.Tests.Host;
using ShadowPt.Visualisation;

namespace ShadowPt.Tests.Visualisation;

/// <summary>The recorder only watches: same trace hashes and results with and without it; and the ftrace-style log.</summary>
public sealed partial class RunRecorderTests
{
    [Theory]
    [InlineData(null)]
    [InlineData(Variants.TornShadowEntry)]
    [InlineData(Variants.ShadowUpdateAtInvalidateStart)]
    [InlineData(Variants.AbbaMmapShadow)]
    public void RecordingARunDoesNotChangeItsTraceHashOrResult(string? variant)
    {
        for (ulong seed = 1; seed <= 3; seed++)
        {
            ShadowPtScenario Make() => new(ShadowPtScenario.Default("viz").Definition with
            {
                Machine = new ShadowPt.Kernel.MachineConfig { Cpus = 2, Frames = 1024, Variants = new HashSet<string>(variant is null ? [] : [variant], StringComparer.Ordinal) },
            });
            var options = new RunOptions { Seed = seed, StepsMax = 200_000 };
            RunReport plain = ScenarioRunner.Run(Make, options);
            (RunReport recorded, RunRecording recording) = RecordedRuns.Run(Make, options);
            Assert.Equal(plain.TraceHash, recorded.TraceHash);
            Assert.Equal(plain.Violation, recorded.Violation);
            Assert.Equal(plain.Steps, recorded.Steps);
            Assert.NotEmpty(recording.Events);
        }
    }

    [Fact]
    public void AReplayWithARecorderReproducesTheRecordedHash()
    {
        using var dir = new TempDir();
        string path = VizScenarios.SaveSchedule(dir, "inval", VizScenarios.InvalidateStart);
        RunRecording recording = VizScenarios.Replay(path);
        Assert.Equal(ScheduleFile.Load(path).TraceHash, recording.Report!.TraceHash);
        Assert.Equal("shadow-inconsistent", recording.Report.Violation?.Kind);
        Assert.Contains(recording.Snapshots, s => s.Differences().Any());
    }

    [GeneratedRegex(@"^ *[^ ]+-\d+ \[(\d{3}|---)\] \d+: [a-z_]+:( [a-z_]+=(""[^""]*""|[^ ""]*))*$")]
    private static partial Regex FtraceLine();

    [Fact]
    public void TheFtraceLogIsOneGreppableLinePerEventBeforeTheSummary()
    {
        var run = CliRunner.Run("run", "--log-format", "ftrace");
        Assert.Equal(0, run.Exit);
        string[] lines = CliRunner.Lines(run.Out);
        Assert.Equal("result: ok", lines[^1]);
        string[] log = [.. lines.Skip(4).TakeWhile(l => !l.StartsWith("scenario: ", StringComparison.Ordinal))];
        Assert.True(log.Length > 100, $"{log.Length} log lines");
        Assert.All(log, l => Assert.Matches(FtraceLine(), l));
        Assert.Contains(log, l => Regex.IsMatch(l, @"^ +target-1 \[000\] \d+: mm_page_fault: address=0x10002000 error_code=0x6$"));
        Assert.Contains(log, l => l.Contains("inspector-2 [001]", StringComparison.Ordinal) && l.Contains(": sys_enter_shadowpt_open:", StringComparison.Ordinal));
        Assert.Contains(log, l => l.Contains(": lock_acquire: lock=mm1->mmap_lock class=mm->mmap_lock mode=read", StringComparison.Ordinal));
        Assert.Contains(log, l => l.Contains(": shadowpt_write: entry=", StringComparison.Ordinal));
        Assert.Contains(log, l => l.Contains(": tlb_flush: ", StringComparison.Ordinal));
        Assert.Equal(CliRunner.Field(CliRunner.Run("run").Out, "trace-hash"), CliRunner.Field(run.Out, "trace-hash"));
    }

    [Fact]
    public void ReplayWritesTheSameTraceAsTheRun()
    {
        using var dir = new TempDir();
        string schedule = VizScenarios.SaveSchedule(dir, "inval", VizScenarios.InvalidateStart, "--trace-out", dir.File("run.json"));
        var replay = CliRunner.Run("replay", schedule, "--trace-out", dir.File("replay.json"));
        Assert.Equal(1, replay.Exit);
        Assert.Equal(File.ReadAllBytes(dir.File("run.json")), File.ReadAllBytes(dir.File("replay.json")));
    }
}
