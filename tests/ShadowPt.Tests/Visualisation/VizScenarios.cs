using ShadowPt.Runtime.Recording;
using ShadowPt.Scenarios;
using ShadowPt.Scenarios.BuiltIn;
using ShadowPt.Tests.Host;
using ShadowPt.Visualisation;

namespace ShadowPt.Tests.Visualisation;

/// <summary>Zoo variants as small scenario files, and runs of them with a recorder.</summary>
internal static class VizScenarios
{
    /// <summary>The notifier's shadow update at invalidate_range_start: seed 1 ends in shadow-inconsistent.</summary>
    public const string InvalidateStart = """
        { "name": "invalidate-start", "seed": 1, "variants": ["shadow-update-at-invalidate-start"],
          "processes": [ { "name": "t", "placement": { "a": "0x10000000" }, "program": [
            { "op": "mmap", "label": "a", "pages": 4 }, { "op": "write", "label": "a", "think": 2 }, { "op": "madvise-dontneed", "label": "a", "pages": 4, "think": 2 } ] } ],
          "inspectors": [ { "name": "i", "target": "t", "start": "0x10000000", "end": "0x10004000", "ticks": 6 } ] }
        """;

    /// <summary>The shadow lock taken before mmap_lock at start: with lockdep on, seed 1 ends when the inversion closes.</summary>
    public const string Abba = """
        { "name": "abba", "seed": 1, "variants": ["abba-mmap-shadow"],
          "processes": [ { "name": "t", "placement": { "a": "0x10000000" }, "program": [
            { "op": "mmap", "label": "a", "pages": 4 },
            { "op": "write", "label": "a" }, { "op": "write", "label": "a", "page": 1, "think": 1 },
            { "op": "write", "label": "a", "page": 2 }, { "op": "write", "label": "a", "page": 3, "think": 1 },
            { "op": "munmap", "label": "a", "page": 2, "pages": 1 } ] } ],
          "inspectors": [ { "name": "i", "target": "t", "start": "0x10000000", "end": "0x10004000", "ticks": 4 } ] }
        """;

    /// <summary>Writes <paramref name="json"/> as a scenario file in <paramref name="dir"/>, runs it with seed 1 and saves the schedule; returns its path.</summary>
    public static string SaveSchedule(TempDir dir, string name, string json, params string[] extra)
    {
        string scenario = dir.File(name + ".json");
        File.WriteAllText(scenario, json);
        string schedule = dir.File(name + ".schedule");
        var run = CliRunner.Run(["run", scenario, "--schedule-out", schedule, .. extra]);
        Assert.True(File.Exists(schedule), run.Out + run.Err);
        return schedule;
    }

    /// <summary>The default scenario run with a recorder.</summary>
    public static (RunReport Report, RunRecording Recording) RecordDefault(ulong? seed = null) =>
        RecordedRuns.Run(() => ScenarioCatalog.TryCreate(ScenarioCatalog.DefaultName)!, new RunOptions { Seed = seed });

    /// <summary>Replays a saved schedule with a recorder.</summary>
    public static RunRecording Replay(string schedulePath)
    {
        Schedule schedule = ScheduleFile.Load(schedulePath);
        return RecordedRuns.Replay(new ShadowPtScenario(ScenarioFile.Load(schedule.Scenario)), schedule, null).Recording;
    }
}
