using System.CommandLine;
using System.Globalization;
using ShadowPt.Exploration;
using ShadowPt.Scenarios;

namespace ShadowPt.Host.Commands;

/// <summary>
/// <c>shadowpt explore [SCENARIO]</c>: many schedules, stop at the first violation (lowest schedule
/// index, whatever the number of workers), save it and print the command that replays it.
/// </summary>
internal static class ExploreCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var scenario = new Argument<string>("SCENARIO") { Description = "A built-in scenario or a scenario file.", DefaultValueFactory = _ => ScenarioCatalog.DefaultName };
        var strategy = new Option<string>("--strategy") { Description = "portfolio (random, PCT at depths 2, 3, 5 and delay bounding in turn), random, pct, delay-bounding, or dfs (systematic, with partial-order reduction; with --schedules as its executions bound).", DefaultValueFactory = _ => "portfolio" };
        strategy.AcceptOnlyFromAmong([.. ExploreOptions.StrategyNames]);
        var schedules = new Option<long>("--schedules") { Description = "Most schedules to run.", DefaultValueFactory = _ => 1000, HelpName = "N" };
        schedules.Validators.Add(r =>
        {
            long n = r.GetValueOrDefault<long>();
            if (n < 1 || n > ExploreOptions.SchedulesMax)
            {
                r.AddError($"--schedules must be from 1 to {ExploreOptions.SchedulesMax}");
            }
        });
        var timeMax = new Option<double?>("--time-max") { Description = "Stop after this many seconds (wall clock) even if schedules remain.", HelpName = "SECONDS" };
        var seed = new Option<ulong>("--seed") { Description = "Campaign seed; schedule i uses a seed derived from (seed, i).", DefaultValueFactory = _ => 1, HelpName = "S" };
        var workers = new Option<int>("--workers") { Description = "Parallel workers (default: all cores).", DefaultValueFactory = _ => Environment.ProcessorCount, HelpName = "K" };
        workers.Validators.Add(r =>
        {
            int k = r.GetValueOrDefault<int>();
            if (k < 1 || k > 256)
            {
                r.AddError("--workers must be from 1 to 256");
            }
        });
        var scheduleOut = new Option<string?>("--schedule-out") { Description = "Where to save the violating schedule (default: shadowpt-<scenario>-seed<N>.schedule).", HelpName = "FILE" };
        var command = new Command("explore", "Run many schedules of a scenario and stop at the first violation, with a reproducer.")
        {
            scenario, strategy, schedules, timeMax, seed, workers, scheduleOut,
        };
        foreach (Option option in ExploreDfs.Options)
        {
            command.Options.Add(option);
        }

        command.SetAction(parsed =>
        {
            Func<Scenario> factory = RunCommand.ResolveScenario(parsed.GetValue(scenario)!);
            if (parsed.GetValue(strategy) == "dfs")
            {
                return ExploreDfs.Run(stdout, stderr, parsed, factory, schedules, timeMax, parsed.GetValue(scheduleOut));
            }

            var options = new ExploreOptions
            {
                Strategy = parsed.GetValue(strategy)!,
                Schedules = parsed.GetValue(schedules),
                TimeMax = parsed.GetValue(timeMax) is double s ? TimeSpan.FromSeconds(s) : null,
                Seed = parsed.GetValue(seed),
                Workers = parsed.GetValue(workers),
            };
            DateTime lastProgress = DateTime.UtcNow;
            ExploreResult result = Explorer.Run(factory, options, (done, elapsed) =>
            {
                if (DateTime.UtcNow - lastProgress >= TimeSpan.FromSeconds(1) || done == options.Schedules)
                {
                    lastProgress = DateTime.UtcNow;
                    stderr.WriteLine(string.Create(CultureInfo.InvariantCulture, $"explore: {done}/{options.Schedules} schedules, {done / Math.Max(elapsed.TotalSeconds, 1e-3):0} schedules/s, {elapsed.TotalSeconds:0.0} s"));
                }
            });
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"explored: {result.Explored} schedules in {result.Elapsed.TotalSeconds:0.0} s ({options.Strategy}, campaign seed {options.Seed}), {result.DistinctTraces.Count} distinct traces"));
            if (result.FirstViolation is not RunReport report)
            {
                stdout.WriteLine("result: ok");
                return ExitCodes.Ok;
            }

            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"first violation: schedule {result.FirstViolationIndex}"));
            return Summary.Print(stdout, report, parsed.GetValue(scheduleOut));
        });
        return command;
    }
}
