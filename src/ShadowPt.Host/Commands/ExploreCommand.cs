using System.CommandLine;
using System.Globalization;
using ShadowPt.Exploration;
using ShadowPt.Scenarios;

namespace ShadowPt.Host.Commands;

/// <summary>
/// <c>shadowpt explore [SCENARIO]</c>: many schedules, stop at the first violation (lowest schedule
/// index, whatever the number of workers), minimize it, save it and print the command that replays it.
/// With <c>--campaign DIR</c> the work is kept on disk and resumes after any interruption.
/// </summary>
internal static class ExploreCommand
{
    /// <summary>The largest --time-max: a week.</summary>
    private const double TimeMaxLimitSeconds = 7 * 24 * 3600;

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
        timeMax.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<double?>() is double t && !(t > 0 && t <= TimeMaxLimitSeconds))
            {
                r.AddError("--time-max must be more than 0 and at most a week of seconds");
            }
        });
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
        var scheduleOut = new Option<string?>("--schedule-out") { Description = "Where to save the minimized violating schedule (default: shadowpt-<scenario>-seed<N>.schedule, or DIR/violation-<index>.min.schedule in a campaign).", HelpName = "FILE" };
        var campaign = new Option<string?>("--campaign") { Description = "Keep the campaign's state and results in DIR; run the same command again to resume it after any interruption (kill -9 included).", HelpName = "DIR" };
        var shard = new Option<string?>("--shard") { Description = "Run only shard i of N of the campaign (batch b belongs to shard b mod N); join shards with 'shadowpt merge'.", HelpName = "i/N" };
        shard.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string?>() is string s && Shard.Parse(s) is null)
            {
                r.AddError($"--shard must be i/N with 0 <= i < N <= {Shard.CountMax}, not '{s}'");
            }
        });
        var minimizeRuns = new Option<int>("--minimize-runs") { Description = "Most candidate runs spent minimizing the violation (fewer preemptions, then fewer steps); 0 keeps it as found.", DefaultValueFactory = _ => Minimizer.CandidateRunsMax, HelpName = "N" };
        minimizeRuns.Validators.Add(r =>
        {
            int n = r.GetValueOrDefault<int>();
            if (n < 0 || n > 100_000)
            {
                r.AddError("--minimize-runs must be from 0 to 100000");
            }
        });
        var command = new Command("explore", "Run many schedules of a scenario and stop at the first violation, with a minimized reproducer.")
        {
            scenario, strategy, schedules, timeMax, seed, workers, scheduleOut, campaign, shard, minimizeRuns,
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
            Shard part = parsed.GetValue(shard) is string text ? Shard.Parse(text)!.Value : Shard.Whole;
            string? directory = parsed.GetValue(campaign);
            if (part.Count > 1 && directory is null)
            {
                throw new UsageException("--shard needs --campaign DIR: each shard keeps its results in its own directory for 'shadowpt merge'");
            }

            CampaignStore? store = Open(directory, factory, options, part);
            ExploreResult result = RunWithProgress(factory, options, store, part, stderr);
            PrintExplored(stdout, options, part, result);
            if (result.FirstViolation is not RunReport report)
            {
                stdout.WriteLine("result: ok");
                return ExitCodes.Ok;
            }

            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"first violation: schedule {result.FirstViolationIndex}"));
            if (store is not null)
            {
                stdout.WriteLine($"found: {store.ViolationPath(result.FirstViolationIndex)}");
            }

            int runs = parsed.GetValue(minimizeRuns);
            if (runs > 0)
            {
                MinimizeResult min = Minimizer.Minimize(factory, report, runs);
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"minimized: {min.StepsBefore} -> {min.StepsAfter} steps, {min.PreemptionsBefore} -> {min.PreemptionsAfter} preemptions ({min.CandidateRuns} candidate runs)"));
                report = min.Report;
            }

            string? output = parsed.GetValue(scheduleOut)
                ?? (store is null ? null : Path.Combine(store.Directory, string.Create(CultureInfo.InvariantCulture, $"violation-{result.FirstViolationIndex}{(runs > 0 ? ".min" : string.Empty)}.schedule")));
            return Summary.Print(stdout, report, output);
        });
        return command;
    }

    private static CampaignStore? Open(string? directory, Func<Scenario> factory, ExploreOptions options, Shard part)
    {
        if (directory is null)
        {
            return null;
        }

        try
        {
            return CampaignStore.Open(directory, CampaignIdentity.Of(factory(), options), part);
        }
        catch (CampaignException e)
        {
            throw new UsageException(e.Message);
        }
    }

    /// <summary>Explores with a progress line on standard error; Ctrl-C stops after the batch in flight, which is then not recorded.</summary>
    private static ExploreResult RunWithProgress(Func<Scenario> factory, ExploreOptions options, CampaignStore? store, Shard part, TextWriter stderr)
    {
        bool terminal = ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected;
        var line = new ProgressLine(terminal);
        ProgressSample sample = default;
        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            ExploreResult result = CampaignRunner.Run(factory, options, store, part, p =>
            {
                (long news, long window) = p.Coverage.NewInLast(1000);
                sample = new ProgressSample(p.Done, p.Total, p.Violations, p.Elapsed, news, window);
                if (line.Next(sample) is string text)
                {
                    stderr.Write(text);
                }
            }, cancel.Token);
            if (sample.Done > 0 && line.Next(sample, final: true) is string last)
            {
                stderr.Write(last);
            }

            if (cancel.IsCancellationRequested)
            {
                stderr.WriteLine(store is null ? "explore: interrupted" : $"explore: interrupted; run the same command to resume the campaign in {store.Directory}");
            }

            return result;
        }
        catch (CampaignException e)
        {
            throw new UsageException(e.Message);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    private static void PrintExplored(TextWriter stdout, ExploreOptions options, Shard part, ExploreResult result)
    {
        string where = (part.Count > 1 ? $", shard {part}" : string.Empty) + (result.Resumed > 0 ? string.Create(CultureInfo.InvariantCulture, $", {result.Resumed} batches resumed from disk") : string.Empty);
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"explored: {result.Explored} schedules in {result.Elapsed.TotalSeconds:0.0} s ({options.Strategy}, campaign seed {options.Seed}{where}), {result.DistinctTraces.Count} distinct traces"));
        if (result.Coverage is CoverageSet coverage)
        {
            stdout.WriteLine(coverage.Describe());
        }
    }
}
