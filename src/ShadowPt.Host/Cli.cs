using System.CommandLine;
using System.CommandLine.Parsing;
using ShadowPt.Host.Commands;
using ShadowPt.Runtime.Recording;

namespace ShadowPt.Host;

/// <summary>The <c>shadowpt</c> command line: parse, call the library, print. Nothing else lives here.</summary>
internal static class Cli
{
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, TextReader? stdin = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        var root = new RootCommand("ShadowPt: a deterministic simulator of Linux SMP memory management and its shadow page table.")
        {
            RunCommand.Create(stdout),
            ReplayCommand.Create(stdout),
            ScenariosCommand.Create(stdout),
            BenchCommand.Create(stdout, stderr),
            ConformanceCommand.Create(stdout, stderr),
            ExploreCommand.Create(stdout, stderr),
            StepCommand.Create(stdin ?? Console.In, stdout),
            MergeCommand.Create(stdout),
            ViewCommands.Lockgraph(stdout),
            ViewCommands.Report(stdout),
            ViewCommands.Explain(stdout),
            StressCommand.Create(stdout, stderr),
        };
        root.SetAction(_ =>
        {
            stderr.WriteLine("shadowpt: a command is required: run, explore, step, stress, merge, replay, lockgraph, report, explain, scenarios, bench or conformance (see 'shadowpt --help')");
            return ExitCodes.BadInput;
        });

        ParseResult parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            string command = CommandPath(parsed.CommandResult, root);
            string message = ParseErrors.Friendly(string.Join(' ', parsed.Errors[0].Message.Split(['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)));
            stderr.WriteLine($"shadowpt: {message} (see '{command} --help')");
            return ExitCodes.BadInput;
        }

        try
        {
            return parsed.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (e is UsageException or ScheduleFormatException or ScheduleDivergedException or Scenarios.ScenarioFormatException)
        {
            stderr.WriteLine($"shadowpt: {e.Message}");
            return ExitCodes.BadInput;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"shadowpt: {e.Message}");
            return ExitCodes.BadInput;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            stderr.WriteLine($"shadowpt: internal error, please report it: {e.GetType().Name}: {e.Message}");
            stderr.WriteLine(e.StackTrace);
            return ExitCodes.InternalError;
        }
    }

    /// <summary>"shadowpt bench explore" for a subcommand's result: every command from the root down.</summary>
    private static string CommandPath(CommandResult result, Command root)
    {
        var names = new List<string>();
        for (SymbolResult? r = result; r is CommandResult c && c.Command != root; r = c.Parent)
        {
            names.Add(c.Command.Name);
        }

        names.Add("shadowpt");
        names.Reverse();
        return string.Join(' ', names);
    }
}
