using System.CommandLine;
using ShadowPt.Benchmarking;
using ShadowPt.Exploration;
using ShadowPt.Scenarios;

namespace ShadowPt.Host.Commands;

/// <summary><c>shadowpt bench explore</c>: schedules per second of explore, cold and warm, on one core and on all cores.</summary>
internal static class ExploreBenchCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var scenario = new Argument<string>("SCENARIO") { Description = "A built-in scenario or a scenario file.", DefaultValueFactory = _ => ScenarioCatalog.DefaultName };
        var strategy = new Option<string>("--strategy") { Description = "Exploration strategy (as for explore; dfs is not a rate).", DefaultValueFactory = _ => "portfolio", HelpName = "NAME" };
        strategy.AcceptOnlyFromAmong([.. ExploreOptions.StrategyNames.Where(s => s != "dfs")]);
        var schedules = new Option<long>("--schedules") { Description = "Schedules of each warm phase, per worker.", DefaultValueFactory = _ => 10_000, HelpName = "N" };
        var cold = new Option<long>("--cold-schedules") { Description = "Schedules of the cold phase (the first a fresh process runs, JIT warm-up included).", DefaultValueFactory = _ => 3_000, HelpName = "N" };
        foreach (Option<long> count in new[] { schedules, cold })
        {
            count.Validators.Add(r =>
            {
                long n = r.GetValueOrDefault<long>();
                if (n < 1 || n > ExploreBenchOptions.SchedulesMax)
                {
                    r.AddError($"{r.Option.Name} must be from 1 to {ExploreBenchOptions.SchedulesMax}");
                }
            });
        }

        var workers = new Option<int>("--workers") { Description = "Workers of the all-cores phase (default: the number of cores).", DefaultValueFactory = _ => Environment.ProcessorCount, HelpName = "K" };
        workers.Validators.Add(r =>
        {
            int k = r.GetValueOrDefault<int>();
            if (k < 1 || k > 256)
            {
                r.AddError("--workers must be from 1 to 256");
            }
        });
        var quick = new Option<bool>("--quick") { Description = "A tenth of the default schedules: a few seconds (noisier)." };
        var command = new Command("explore", "Schedules/s of explore on a scenario: cold (a fresh process, one worker), warm on one core, warm on all cores; wall clock and CPU-seconds.")
        {
            scenario, strategy, schedules, cold, workers, quick,
        };
        command.SetAction(parsed =>
        {
            Func<Scenario> factory = RunCommand.ResolveScenario(parsed.GetValue(scenario)!);
            ExploreBenchOptions defaults = parsed.GetValue(quick) ? ExploreBenchOptions.Quick : new ExploreBenchOptions();
            var options = defaults with
            {
                Strategy = parsed.GetValue(strategy)!,
                Workers = parsed.GetValue(workers),
                Schedules = parsed.GetResult(schedules) is { Implicit: false } ? parsed.GetValue(schedules) : defaults.Schedules,
                ColdSchedules = parsed.GetResult(cold) is { Implicit: false } ? parsed.GetValue(cold) : defaults.ColdSchedules,
            };
            using var cancel = new CancellationTokenSource();
            ConsoleCancelEventHandler onCancel = (_, e) =>
            {
                e.Cancel = true; // stop the phase under way and print what was measured
                cancel.Cancel();
            };
            Console.CancelKeyPress += onCancel;
            try
            {
                IReadOnlyList<ExplorePhase> phases = ExploreBenchmarks.Run(factory, options, line => stderr.WriteLine(line), cancel.Token);
                foreach (BenchFigure figure in ExploreBenchmarks.Figures(phases))
                {
                    stdout.WriteLine(figure.ToString());
                }

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
