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

                stdout.WriteLine($"{UffdConformance.Name}: {UffdConformance.Description}");
                return ExitCodes.Ok;
            }

            string[] names = parsed.GetValue(only) ?? [];
            bool filtered = names.Length > 0;
            bool runUffd = !filtered || names.Contains(UffdConformance.Name);
            names = names.Where(n => n != UffdConformance.Name).ToArray();
            if (filtered)
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

            UffdConformanceResult? uffd = null;
            if (runUffd)
            {
                try
                {
                    uffd = UffdConformance.Run(new NativeRunnerOptions());
                }
                catch (NativeRunnerException e)
                {
                    throw new UsageException("the native side cannot run here: " + e.Message, e);
                }

                stdout.WriteLine(uffd.Describe()); // "unsupported here" is not a failure
            }

            stdout.WriteLine(report.Summary);
            bool uffdDiffers = uffd is { Supported: true, Agrees: false };
            return report.Agreed == report.Total && !uffdDiffers ? ExitCodes.Ok : ExitCodes.Violation;
        });
        return command;
    }
}
