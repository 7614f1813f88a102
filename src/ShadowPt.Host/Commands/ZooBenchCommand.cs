using System.CommandLine;
using ShadowPt.Benchmarking;
using ShadowPt.Exploration;

namespace ShadowPt.Host.Commands;

/// <summary><c>shadowpt bench zoo</c>: schedules and seconds to each zoo variant's first violation per strategy, and the threaded scheduler on the same budget.</summary>
internal static class ZooBenchCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var seeds = new Option<int>("--seeds") { Description = "Campaign seeds per variant and strategy (1 to N), 1 to 1000.", DefaultValueFactory = _ => 20, HelpName = "N" };
        seeds.Validators.Add(r =>
        {
            int n = r.GetValueOrDefault<int>();
            if (n < 1 || n > 1000)
            {
                r.AddError("--seeds must be from 1 to 1000");
            }
        });
        var timeMax = new Option<double>("--time-max") { Description = "Seconds one campaign (and the threaded run) may take before it counts as not found.", DefaultValueFactory = _ => 10, HelpName = "SECONDS" };
        timeMax.Validators.Add(r =>
        {
            double t = r.GetValueOrDefault<double>();
            if (!(t > 0 && t <= 3600))
            {
                r.AddError("--time-max must be more than 0 and at most 3600");
            }
        });
        var strategies = new Option<string[]>("--strategy") { Description = "Strategies to compare (repeatable; default: every one explore knows except dfs).", AllowMultipleArgumentsPerToken = true, HelpName = "NAME" };
        strategies.AcceptOnlyFromAmong([.. ExploreOptions.StrategyNames]);
        var variants = new Option<string[]>("--variant") { Description = "Zoo variants to measure (repeatable; default: every file in config/scenarios/zoo).", AllowMultipleArgumentsPerToken = true, HelpName = "NAME" };
        var schedulesMax = new Option<long>("--schedules-max") { Description = "Schedules one campaign may run before it counts as not found.", DefaultValueFactory = _ => 100_000, HelpName = "N" };
        schedulesMax.Validators.Add(r =>
        {
            long n = r.GetValueOrDefault<long>();
            if (n < 1 || n > ExploreOptions.SchedulesMax)
            {
                r.AddError($"--schedules-max must be from 1 to {ExploreOptions.SchedulesMax}");
            }
        });
        var noThreaded = new Option<bool>("--no-threaded") { Description = "Skip the threaded-scheduler runs." };
        var command = new Command("zoo", "The bug zoo: per variant and strategy, schedules and seconds to the first violation (median over seeds, one core); and the threaded scheduler with the checkers on for the same time.")
        {
            seeds, timeMax, schedulesMax, strategies, variants, noThreaded,
        };
        command.SetAction(parsed =>
        {
            string[] chosen = parsed.GetValue(variants) ?? [];
            string dir = ZooBenchmarks.ZooDirectory;
            string[] known = Directory.Exists(dir) ? [.. Directory.GetFiles(dir, "*.json").Select(Path.GetFileNameWithoutExtension)!] : [];
            string? unknown = chosen.FirstOrDefault(v => !known.Contains(v));
            if (unknown is not null)
            {
                throw new UsageException($"no zoo scenario '{unknown}' in {dir} (known: {string.Join(", ", known)})");
            }

            var options = new ZooBenchOptions
            {
                Seeds = parsed.GetValue(seeds),
                TimeMax = TimeSpan.FromSeconds(parsed.GetValue(timeMax)),
                SchedulesMax = parsed.GetValue(schedulesMax),
                Strategies = parsed.GetValue(strategies) is { Length: > 0 } s ? s : null,
                Variants = chosen.Length > 0 ? chosen : null,
                Threaded = !parsed.GetValue(noThreaded),
            };
            using var cancel = new CancellationTokenSource();
            ConsoleCancelEventHandler onCancel = (_, e) =>
            {
                e.Cancel = true; // finish the campaign under way, then print what was measured
                cancel.Cancel();
            };
            Console.CancelKeyPress += onCancel;
            try
            {
                var (cells, threaded) = ZooBenchmarks.Run(dir, options, line => stderr.WriteLine(line), cancel.Token);
                stdout.Write(ZooBenchmarks.Markdown(cells, threaded, options));
                return ExitCodes.Ok;
            }
            finally
            {
                Console.CancelKeyPress -= onCancel;
            }
        });
        return command;
    }
}
