using ShadowPt.Runtime;
using ShadowPt.Runtime.Recording;
using ShadowPt.Scenarios;
using ShadowPt.Scenarios.BuiltIn;

namespace ShadowPt.Visualisation;

/// <summary>Runs or replays a scenario with a <see cref="RunRecorder"/> attached, giving the report and the recording.</summary>
public static class RecordedRuns
{
    public static (RunReport Report, RunRecording Recording) Run(Func<Scenario> scenarioFactory, RunOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        RunRecorder? recorder = null;
        string name = "?";
        RunReport report = ScenarioRunner.Run(scenarioFactory, options with
        {
            AfterSetup = (scenario, system) =>
            {
                options.AfterSetup?.Invoke(scenario, system);
                recorder = Attach(system, scenario);
                name = scenario.Name;
            },
        });
        return (report, Finish(recorder!, name, report));
    }

    /// <summary>Replays <paramref name="schedule"/> exactly (same trace hash) with a recorder.</summary>
    public static (RunReport Report, RunRecording Recording) Replay(Scenario scenario, Schedule schedule, Microsoft.Extensions.Logging.ILogger? logger)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        RunRecorder? recorder = null;
        RunReport report = ScenarioRunner.Replay(scenario, schedule, logger, (s, system) => recorder = Attach(system, s));
        return (report, Finish(recorder!, scenario.Name, report));
    }

    private static RunRecorder Attach(ActorSystem system, Scenario scenario) =>
        RunRecorder.Attach(system, (scenario as ShadowPtScenario)?.Machine);

    private static RunRecording Finish(RunRecorder recorder, string scenario, RunReport report)
    {
        RunRecording recording = recorder.Finish(scenario, report.Steps, report.Ticks);
        recording.Report = report;
        return recording;
    }
}
