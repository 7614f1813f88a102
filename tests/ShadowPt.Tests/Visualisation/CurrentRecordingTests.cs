using ShadowPt.Scenarios;
using ShadowPt.Tests.Host;
using ShadowPt.Visualisation;

namespace ShadowPt.Tests.Visualisation;

/// <summary>The recording's per-cpu current view (per_cpu(current_task, cpu)) as the report and explain use it.</summary>
public sealed class CurrentRecordingTests
{
    [Fact]
    public void EveryCpuStartsIdleAndEachChangeIsARealChange()
    {
        using var dir = new TempDir();
        RunRecording recording = VizScenarios.Replay(VizScenarios.SaveSchedule(dir, "inval", VizScenarios.InvalidateStart));

        Assert.Equal(recording.Cpus, recording.CurrentAt(0).Count);
        Assert.All(recording.CurrentAt(0), c => Assert.Equal($"swapper/{c.Cpu} (idle)", c.Task));
        Assert.Equal(0, recording.CurrentChangesDropped);
        Assert.True(recording.CurrentChanges.Count > recording.Cpus, "some CPU ran a task");
        for (int i = 1; i < recording.CurrentChanges.Count; i++)
        {
            Assert.True(recording.CurrentChanges[i].AfterStep >= recording.CurrentChanges[i - 1].AfterStep, "in step order");
        }

        foreach (IGrouping<int, CpuCurrentChange> cpu in recording.CurrentChanges.GroupBy(c => c.Cpu))
        {
            CpuCurrentChange[] changes = [.. cpu];
            Assert.All(changes.Zip(changes.Skip(1)), p => Assert.NotEqual((p.First.Pid, p.First.Comm), (p.Second.Pid, p.Second.Comm)));
        }
    }

    [Fact]
    public void CurrentAtTakesEachCpusLatestChangeAtOrBeforeTheStep()
    {
        var recording = new RunRecording
        {
            Scenario = "s",
            Cpus = 2,
            Tracks = [],
            Events = [],
            EventsDropped = 0,
            Snapshots = [],
            SnapshotsDropped = 0,
            LockDependencies = [],
            CurrentChanges =
            [
                new CpuCurrentChange(0, 0, 0, "swapper/0"), new CpuCurrentChange(0, 1, 0, "swapper/1"),
                new CpuCurrentChange(3, 0, 1, "t"), new CpuCurrentChange(5, 1, 2, "i"), new CpuCurrentChange(9, 0, 0, "swapper/0"),
            ],
        };

        Assert.Equal(["swapper/0 (idle)", "swapper/1 (idle)"], recording.CurrentAt(2).Select(c => c.Task));
        Assert.Equal(["t-1", "swapper/1 (idle)"], recording.CurrentAt(3).Select(c => c.Task));
        Assert.Equal(["t-1", "i-2"], recording.CurrentAt(8).Select(c => c.Task));
        Assert.Equal(["swapper/0 (idle)", "i-2"], recording.CurrentAt(100).Select(c => c.Task));
    }

    [Fact]
    public void TheReportRendersTheViewAtTheViolationWithoutScript()
    {
        using var dir = new TempDir();
        RunRecording recording = VizScenarios.Replay(VizScenarios.SaveSchedule(dir, "inval", VizScenarios.InvalidateStart));
        RunReport report = recording.Report!;
        string html = HtmlReport.Render(recording);
        Assert.Contains($"<table class=\"shadow\" id=\"percpu\" data-step=\"{report.Violation!.Step}\">", html, StringComparison.Ordinal);
        foreach (CpuCurrentChange c in recording.CurrentAt(report.Violation.Step))
        {
            Assert.Contains($"<td>cpu{c.Cpu}</td><td>{HtmlReport.E(c.Task)}</td>", html, StringComparison.Ordinal);
        }
    }
}
