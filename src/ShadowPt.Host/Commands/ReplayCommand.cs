using System.CommandLine;
using Microsoft.Extensions.Logging;
using ShadowPt.Runtime.Recording;
using ShadowPt.Scenarios;

namespace ShadowPt.Host.Commands;

/// <summary><c>shadowpt replay FILE</c>: re-runs a saved schedule and prints the same summary and trace hash.</summary>
internal static class ReplayCommand
{
    public static Command Create(TextWriter stdout)
    {
        var file = new Argument<string>("FILE") { Description = "A schedule saved by 'shadowpt run' (--schedule-out, or on a violation)." };
        var logLevel = RunCommand.LogLevelOption();
        var traces = new TraceOutputs();
        var command = new Command("replay", "Replay a saved schedule exactly: same deliveries, same trace hash, same result.") { file, logLevel, traces.TraceOut, traces.LogFormat };
        command.SetAction(parsed =>
        {
            string path = parsed.GetValue(file)!;
            Schedule schedule = ScheduleFile.Load(path);
            Func<Scenario> factory = RunCommand.ResolveScenario(schedule.Scenario);
            using ILoggerFactory loggers = Logging.Create(parsed.GetValue(logLevel));
            RunReport report;
            if (traces.Wanted(parsed))
            {
                (report, Visualisation.RunRecording recording) = Visualisation.RecordedRuns.Replay(factory(), schedule, loggers.CreateLogger("ShadowPt.Runtime"));
                traces.Write(parsed, recording, stdout);
            }
            else
            {
                report = ScenarioRunner.Replay(factory(), schedule, loggers.CreateLogger("ShadowPt.Runtime"));
            }

            return Summary.Print(stdout, report, savedAs: null, replayedFrom: path);
        });
        return command;
    }
}
