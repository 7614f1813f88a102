using System.Globalization;
using System.Text;
using ShadowPt.Runtime.Recording;
using ShadowPt.Scenarios;

namespace ShadowPt.Host;

/// <summary>
/// The summary of a run. Its last two lines are always <c>trace-hash: …</c> and <c>result: …</c>;
/// on a violation the report and the command that replays it come just before them.
/// </summary>
internal static class Summary
{
    public static int Print(TextWriter stdout, RunReport report, string? savedAs, string? replayedFrom = null)
    {
        CultureInfo inv = CultureInfo.InvariantCulture;
        stdout.WriteLine($"scenario: {report.Scenario}");
        stdout.WriteLine(replayedFrom is null ? $"strategy: {report.Strategy}" : $"replayed: {replayedFrom}");
        foreach (string line in report.Description)
        {
            stdout.WriteLine(line);
        }

        stdout.WriteLine(string.Create(inv, $"steps: {report.Steps}"));
        stdout.WriteLine(string.Create(inv, $"ticks: {report.Ticks.Value}"));
        stdout.WriteLine(string.Create(inv, $"actors: {report.Actors}"));
        if (report.Violation is { } v)
        {
            savedAs ??= replayedFrom ?? DefaultSchedulePath(report);
        }

        if (savedAs is not null && replayedFrom is null)
        {
            ScheduleFile.Save(report.Schedule, savedAs);
            stdout.WriteLine($"schedule: {savedAs}");
        }

        if (report.Violation is { } violation)
        {
            stdout.WriteLine(string.Create(inv, $"violation: {violation.Kind} at step {violation.Step}, tick {violation.Tick.Value}"));
            foreach (string line in violation.Message.Split('\n'))
            {
                stdout.WriteLine(line.Length == 0 ? string.Empty : "  " + line);
            }

            stdout.WriteLine($"replay: shadowpt replay {ShellQuote.Quote(savedAs!)}");
        }

        stdout.WriteLine($"trace-hash: {report.TraceHash}");
        stdout.WriteLine(report.Violation is null ? "result: ok" : $"result: violation: {report.Violation.Kind}");
        return report.Violation is null ? ExitCodes.Ok : ExitCodes.Violation;
    }

    /// <summary>Where a violating run's schedule goes when --schedule-out was not given: the current directory.</summary>
    private static string DefaultSchedulePath(RunReport report)
    {
        var name = new StringBuilder();
        foreach (char c in report.Scenario)
        {
            name.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_');
        }

        return string.Create(CultureInfo.InvariantCulture, $"shadowpt-{name}-seed{report.Seed}.schedule");
    }
}
