using System.CommandLine;
using ShadowPt.Kernel.Conformance;
using ShadowPt.Kernel.Programs;

namespace ShadowPt.Host.Commands;

/// <summary>
/// <c>shadowpt conformance</c>: runs every conformance program natively on this Linux machine and in
/// the simulator, compares what both observed after every step, prints the differences and
/// <c>agree: K/N</c>. Exit 0 when all agree, 1 when some differ, 2 when the native side cannot run.
/// </summary>
internal static class ConformanceCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var only = new Option<string[]>("--program") { Description = "Run only these programs (repeatable; default: all).", HelpName = "NAME", AllowMultipleArgumentsPerToken = true };
        var list = new Option<bool>("--list") { Description = "List the programs and exit." };
        var command = new Command("conformance", "Compare the simulator with the real Linux kernel on a set of small programs (needs gcc and root).") { only, list };
        command.SetAction(parsed =>
        {
            IReadOnlyList<ProcessProgram> programs = ConformancePrograms.All;
            if (parsed.GetValue(list))
            {
                foreach (ProcessProgram p in programs)
                {
                    stdout.WriteLine($"{p.Name}: {p.Description}");
                }

                return ExitCodes.Ok;
            }

            string[] names = parsed.GetValue(only) ?? [];
            if (names.Length > 0)
            {
                programs = names.Select(n => ConformancePrograms.All.FirstOrDefault(p => p.Name == n)
                    ?? throw new UsageException($"no conformance program is named '{n}' (see 'shadowpt conformance --list')")).ToArray();
            }

            ConformanceReport report;
            try
            {
                report = ConformanceSuite.Run(new NativeRunner(new NativeRunnerOptions()), new SimulatorRunner(), programs);
            }
            catch (NativeRunnerException e)
            {
                throw new UsageException("the native side cannot run here: " + e.Message, e);
            }

            foreach (ObservationComparison comparison in report.Comparisons)
            {
                stdout.WriteLine(comparison.Describe());
            }

            stdout.WriteLine(report.Summary);
            return report.Agreed == report.Total ? ExitCodes.Ok : ExitCodes.Violation;
        });
        return command;
    }
}
