using ShadowPt.Runtime;
using ShadowPt.Runtime.Recording;
using ShadowPt.Runtime.Strategies;

namespace ShadowPt.Scenarios;

/// <summary>Runs a scenario once on the deterministic scheduler, or replays a saved schedule of it.</summary>
public static class ScenarioRunner
{
    public static RunReport Run(Func<Scenario> scenarioFactory, RunOptions options)
    {
        ArgumentNullException.ThrowIfNull(scenarioFactory);
        ArgumentNullException.ThrowIfNull(options);
        Scenario scenario = scenarioFactory();
        if (options.Checks is not null)
        {
            scenario.SelectChecks(options.Checks);
        }

        ulong seed = options.Seed ?? scenario.DefaultSeed;
        long stepsMax = options.StepsMax ?? scenario.DefaultStepsMax ?? RunOptions.StepsMaxDefault;
        string name = options.Strategy ?? scenario.DefaultStrategy ?? "random";
        SchedulingStrategy strategy = name switch
        {
            "random" => new RandomStrategy(seed),
            "pct" => new PctStrategy(seed, options.PctDepth, options.PctStepsEstimate ?? Calibrate(scenarioFactory, seed, stepsMax)),
            "delay-bounding" => new DelayBoundingStrategy(seed, options.Delays, options.PctStepsEstimate ?? Calibrate(scenarioFactory, seed, stepsMax)),
            _ => throw new ArgumentException($"unknown strategy '{name}' (expected one of: {string.Join(", ", RunOptions.StrategyNames)})", nameof(options)),
        };
        return Execute(scenario, strategy, seed, stepsMax, options.Logger, options.AfterSetup);
    }

    /// <summary>
    /// Runs <paramref name="scenario"/> with a strategy the caller built (the explorer's minimizer, for
    /// example); <paramref name="checks"/> null keeps the scenario's own selection.
    /// </summary>
    public static RunReport RunWith(Scenario scenario, SchedulingStrategy strategy, ulong seed, long stepsMax, IReadOnlySet<string>? checks, Action<Scenario, ActorSystem>? afterSetup = null)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(strategy);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stepsMax);
        if (checks is not null)
        {
            scenario.SelectChecks(checks);
        }

        return Execute(scenario, strategy, seed, stepsMax, null, afterSetup);
    }

    /// <summary>Replays <paramref name="schedule"/>; throws <see cref="ScheduleDivergedException"/> when it does not fit the scenario.</summary>
    public static RunReport Replay(Scenario scenario, Schedule schedule, Microsoft.Extensions.Logging.ILogger? logger, Action<Scenario, ActorSystem>? afterSetup = null)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(schedule);
        if (scenario.ContentHash != schedule.ScenarioHash)
        {
            throw new ScheduleDivergedException($"the schedule was recorded on scenario '{schedule.Scenario}' with content hash {schedule.ScenarioHash ?? "(built-in)"}, but it is now {scenario.ContentHash ?? "(built-in)"}");
        }

        if (schedule.Checks is not null)
        {
            scenario.SelectChecks(new HashSet<string>(schedule.Checks, StringComparer.Ordinal));
        }

        RunReport report = Execute(scenario, new ReplayStrategy(schedule), schedule.Seed, schedule.StepsMax, logger, afterSetup);
        if (report.TraceHash != schedule.TraceHash)
        {
            throw new ScheduleDivergedException($"the replay made every recorded choice but its trace hash is {report.TraceHash}, not the recorded {schedule.TraceHash}: the model changed since the schedule was saved");
        }

        return report;
    }

    private static RunReport Execute(Scenario scenario, SchedulingStrategy strategy, ulong seed, long stepsMax, Microsoft.Extensions.Logging.ILogger? logger, Action<Scenario, ActorSystem>? afterSetup = null)
    {
        using ActorSystem system = ActorSystem.CreateDeterministic(scenario.Name, strategy, new RuntimeLimits { StepsMax = stepsMax }, logger);
        scenario.Setup(system);
        afterSetup?.Invoke(scenario, system); // observers and recorders: after the setup, before the first step
        RunOutcome outcome = system.Run();
        return Complete(scenario, system, strategy, seed, outcome);
    }

    /// <summary>
    /// Ends a run that <see cref="ActorSystem.Run"/> returned from with <paramref name="outcome"/>: tells the
    /// strategy, runs the scenario's end checks at quiescence, and captures the report and schedule. For
    /// callers that set up and run a system themselves (the step-through mode); the system stays theirs.
    /// </summary>
    public static RunReport Complete(Scenario scenario, ActorSystem system, SchedulingStrategy strategy, ulong seed, RunOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(strategy);
        system.EndRun();
        Violation? violation = system.Violation ?? (outcome == RunOutcome.Quiescent ? scenario.CheckEnd(system) : null);
        if (violation is not null && system.Violation is null)
        {
            system.AddToTrace(TraceHash.OfString(violation.Kind));
        }

        string result = violation?.Kind ?? "ok";
        Schedule schedule = system.CaptureSchedule(scenario.Reference, scenario.ContentHash, seed) with
        {
            Result = result,
            Checks = scenario.Checks.Count > 0 ? [.. scenario.Checks.Order(StringComparer.Ordinal)] : null,
        };
        return new RunReport
        {
            Scenario = scenario.Name,
            Strategy = strategy.Description,
            Seed = seed,
            Outcome = violation is null ? outcome : RunOutcome.Violation,
            Steps = system.Steps,
            Ticks = system.Now,
            Actors = system.ActorCount - 1,
            DeadLetters = system.DeadLetters,
            TraceHash = system.TraceHash,
            Violation = violation,
            Description = scenario.Describe(system).ToArray(),
            Schedule = schedule,
        };
    }

    /// <summary>The length of a random run with the same seed: what PCT spreads its change points over.</summary>
    private static long Calibrate(Func<Scenario> scenarioFactory, ulong seed, long stepsMax)
    {
        Scenario scenario = scenarioFactory();
        using ActorSystem system = ActorSystem.CreateDeterministic(scenario.Name, new RandomStrategy(seed), new RuntimeLimits { StepsMax = stepsMax });
        scenario.Setup(system);
        system.Run();
        return Math.Max(1, system.Steps);
    }
}
