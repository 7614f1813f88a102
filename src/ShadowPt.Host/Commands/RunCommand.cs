using System.CommandLine;
using Microsoft.Extensions.Logging;
using ShadowPt.Runtime.Recording;
using ShadowPt.Scenarios;

namespace ShadowPt.Host.Commands;

/// <summary><c>shadowpt run [SCENARIO]</c>: one deterministic run, a summary, and a reproducer on failure.</summary>
internal static class RunCommand
{
    public static Command Create(TextWriter stdout)
    {
        var scenario = new Argument<string>("SCENARIO")
        {
            Description = "A built-in scenario (see 'shadowpt scenarios') or a scenario file (JSON, see config/scenarios).",
            DefaultValueFactory = _ => ScenarioCatalog.DefaultName,
        };
        var seed = new Option<ulong?>("--seed") { Description = "Seed of the strategy (default: the scenario's).", HelpName = "N" };
        var strategy = new Option<string?>("--strategy") { Description = "Scheduling strategy (default: the scenario's, else random)." };
        strategy.AcceptOnlyFromAmong([.. RunOptions.StrategyNames]);
        var pctDepth = new Option<int>("--pct-depth") { Description = "PCT depth: priority change points plus one.", DefaultValueFactory = _ => 3, HelpName = "D" };
        pctDepth.Validators.Add(r =>
        {
            int d = r.GetValueOrDefault<int>();
            if (d < 1 || d > Runtime.Strategies.PctStrategy.DepthMax)
            {
                r.AddError($"--pct-depth must be from 1 to {Runtime.Strategies.PctStrategy.DepthMax}");
            }
        });
        var delays = new Option<int>("--delays") { Description = "Delay bound of the delay-bounding strategy.", DefaultValueFactory = _ => 2, HelpName = "D" };
        delays.Validators.Add(r =>
        {
            int d = r.GetValueOrDefault<int>();
            if (d < 0 || d > Runtime.Strategies.DelayBoundingStrategy.DelaysMax)
            {
                r.AddError($"--delays must be from 0 to {Runtime.Strategies.DelayBoundingStrategy.DelaysMax}");
            }
        });
        var stepsMax = new Option<long?>("--steps-max") { Description = "Most deliveries in the run (default: the scenario's, else 1000000); reaching it is a bound-exceeded violation.", HelpName = "N" };
        stepsMax.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<long?>() < 1)
            {
                r.AddError("--steps-max must be at least 1");
            }
        });
        var scheduleOut = new Option<string?>("--schedule-out") { Description = "Save the run's schedule here (on a violation it is saved anyway).", HelpName = "FILE" };
        var logLevel = LogLevelOption();
        var checks = new Option<string?>("--checks")
        {
            Description = $"Comma-separated checks to run, or 'none' (default: ShadowPt:Checks in config/appsettings.json, else all: {string.Join(", ", ScenarioDefinition.CheckNames)}).",
            HelpName = "LIST",
        };

        var traces = new TraceOutputs();
        var imageDir = new Option<string?>("--image-dir")
        {
            Description = "checkpoint, migrate-precopy and migrate-postcopy: write the checkpoint images (inventory, mm, pagemap, pages files per dump) to this directory and restore from there (default: in memory).",
            HelpName = "DIR",
        };

        var command = new Command("run", "Run a scenario once on the deterministic scheduler and print a summary.")
        {
            scenario, seed, strategy, pctDepth, delays, stepsMax, scheduleOut, logLevel, checks, imageDir,
        };
        foreach (Option option in traces.All)
        {
            command.Options.Add(option);
        }

        command.SetAction(parsed =>
        {
            string name = parsed.GetValue(scenario)!;
            Func<Scenario> factory = CriuImageOption.Apply(ResolveScenario(name), parsed.GetValue(imageDir));
            using ILoggerFactory loggers = Logging.Create(parsed.GetValue(logLevel));
            var options = new RunOptions
            {
                Seed = parsed.GetValue(seed),
                Strategy = parsed.GetValue(strategy),
                PctDepth = parsed.GetValue(pctDepth),
                Delays = parsed.GetValue(delays),
                StepsMax = parsed.GetValue(stepsMax),
                Logger = loggers.CreateLogger("ShadowPt.Runtime"),
                Checks = SelectedChecks(parsed.GetValue(checks)),
            };
            RunReport report;
            if (traces.Wanted(parsed))
            {
                (report, Visualisation.RunRecording recording) = Visualisation.RecordedRuns.Run(factory, options);
                traces.Write(parsed, recording, stdout);
            }
            else
            {
                report = ScenarioRunner.Run(factory, options);
            }

            return Summary.Print(stdout, report, parsed.GetValue(scheduleOut));
        });
        return command;
    }

    /// <summary>--checks, else the configured default, else null (the scenario's own: all).</summary>
    private static HashSet<string>? SelectedChecks(string? option)
    {
        string? list = option ?? Logging.Configuration()["ShadowPt:Checks"];
        if (list is null)
        {
            return null;
        }

        string[] names = list == "none" ? [] : list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        string? unknown = names.FirstOrDefault(n => !ScenarioDefinition.CheckNames.Contains(n));
        return unknown is null
            ? new HashSet<string>(names, StringComparer.Ordinal)
            : throw new UsageException($"unknown check '{unknown}' (checks: {string.Join(", ", ScenarioDefinition.CheckNames)}, or none)");
    }

    public static Option<string?> LogLevelOption()
    {
        var logLevel = new Option<string?>("--log-level") { Description = "Override the log level of config/appsettings.json (debug logs every delivery).", HelpName = "LEVEL" };
        logLevel.AcceptOnlyFromAmong(Logging.LevelNames);
        return logLevel;
    }

    /// <summary>The built-in named <paramref name="name"/>, or the scenario file at that path, or a usage error that says what exists.</summary>
    public static Func<Scenario> ResolveScenario(string name)
    {
        if (ScenarioCatalog.TryCreate(name) is not null)
        {
            return () => ScenarioCatalog.TryCreate(name)!;
        }

        if (File.Exists(name))
        {
            ScenarioDefinition definition = ScenarioFile.Load(name); // validated once, up front
            return () => new Scenarios.BuiltIn.ShadowPtScenario(definition);
        }

        if (name.StartsWith('-'))
        {
            throw new UsageException($"unknown option '{name}' (and no scenario or file has that name; see the command's --help)");
        }

        throw new UsageException($"no built-in scenario is named '{name}' and there is no such file (built-ins: {string.Join(", ", ScenarioCatalog.Names)})");
    }
}
