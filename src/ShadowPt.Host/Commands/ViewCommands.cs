using System.CommandLine;
using System.Text;
using ShadowPt.Runtime.Recording;
using ShadowPt.Scenarios;
using ShadowPt.Visualisation;

namespace ShadowPt.Host.Commands;

/// <summary>
/// The commands that replay a saved schedule with a recorder and show it: <c>lockgraph</c> (Graphviz
/// DOT), <c>report</c> (one HTML file) and <c>explain</c> (a two-column narrative of the violation).
/// </summary>
internal static class ViewCommands
{
    public static Command Lockgraph(TextWriter stdout)
    {
        var file = ScheduleArgument();
        var output = new Option<string?>("-o", "--output") { Description = "Write the DOT here (default: standard output).", HelpName = "FILE.dot" };
        var command = new Command("lockgraph", "Replay a saved schedule and write its lock-class dependency graph (lockdep's) in Graphviz DOT: edges labelled with where the nesting happened, sorted, a cycle in red.") { file, output };
        command.SetAction(parsed =>
        {
            RunRecording recording = Replay(parsed.GetValue(file)!);
            var graph = LockGraph.Of(recording.LockDependencies);
            string title = $"{recording.Scenario}: {recording.Report?.Violation?.Kind ?? "ok"}" + (graph.HasCycle ? " (cycle in red)" : string.Empty);
            string verdict = recording.Report?.Violation is { } v
                ? $"the run: {v.Kind} at step {v.Step}: " + v.Message.Split('\n').FirstOrDefault(l => l.Trim().Length > 0 && !l.StartsWith('='))?.Trim()
                : "the run: ok";
            string checks = ScheduleFile.Load(parsed.GetValue(file)!).Checks is { } list && !list.Contains("lockdep")
                ? " (lockdep was off in this schedule; the edges come from the lock events all the same)"
                : string.Empty;
            string dot = graph.ToDot(title, verdict + checks);
            Emit(stdout, parsed.GetValue(output), dot, "lock graph");
            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command Report(TextWriter stdout)
    {
        var file = ScheduleArgument();
        var output = new Option<string>("-o", "--output") { Description = "The HTML file to write.", HelpName = "FILE.html", DefaultValueFactory = _ => "report.html" };
        var command = new Command("report", "Replay a saved schedule and write one self-contained HTML report: summary, violation, per-CPU timeline, lock graph, shadow table beside the truth at any step.") { file, output };
        command.SetAction(parsed =>
        {
            RunRecording recording = Replay(parsed.GetValue(file)!);
            Emit(stdout, parsed.GetValue(output), HtmlReport.Render(recording), "report");
            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command Explain(TextWriter stdout)
    {
        var file = ScheduleArgument();
        var command = new Command("explain", "Replay a saved schedule and tell its violation as a short two-column story (CPU0 | CPU1), one kernel step per line.") { file };
        command.SetAction(parsed =>
        {
            RunRecording recording = Replay(parsed.GetValue(file)!);
            stdout.Write(Explanation.Explain(recording));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Argument<string> ScheduleArgument() =>
        new("FILE") { Description = "A schedule saved by 'shadowpt run' or 'shadowpt explore' (--schedule-out, or on a violation)." };

    /// <summary>Replays the schedule at <paramref name="path"/> exactly, with a recorder.</summary>
    private static RunRecording Replay(string path)
    {
        Schedule schedule = ScheduleFile.Load(path);
        Func<Scenario> factory = RunCommand.ResolveScenario(schedule.Scenario);
        return RecordedRuns.Replay(factory(), schedule, null).Recording;
    }

    private static void Emit(TextWriter stdout, string? path, string text, string what)
    {
        if (path is null)
        {
            stdout.Write(text);
            return;
        }

        TraceOutputs.SaveAtomically(path, stream => stream.Write(new UTF8Encoding(false).GetBytes(text)));
        stdout.WriteLine($"{what}: {path}");
    }
}
