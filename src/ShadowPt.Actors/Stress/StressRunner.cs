using System.Diagnostics;
using ShadowPt.Exploration;
using ShadowPt.Runtime;
using ShadowPt.Scenarios;
using ShadowPt.Scenarios.BuiltIn;

namespace ShadowPt.Stress;

/// <summary>What a stress run is asked to do.</summary>
public sealed record StressOptions
{
    /// <summary>deterministic (every run a reproducible schedule) or threaded (the .NET thread pool: not reproducible).</summary>
    public string Scheduler { get; init; } = "deterministic";

    /// <summary>Wall-clock budget; the current run finishes (deterministic) or is abandoned (threaded) when it is spent.</summary>
    public TimeSpan TimeMax { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Seed: run i uses a seed derived from (seed, i).</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Stop once this many runs ended (a bound for tests and scripts); null: only time bounds.</summary>
    public long? RunsMax { get; init; }

    /// <summary>Bound on the deliveries of one deterministic run; null: 2,000 per process and inspector, at least 1,000,000.</summary>
    public long? StepsPerRunMax { get; init; }

    /// <summary>Checks to run; null: the scenario's (on the threaded scheduler, those that need no quiescent point).</summary>
    public IReadOnlySet<string>? Checks { get; init; }
}

/// <summary>Progress of a stress run, after each run (deterministic) or each poll (threaded).</summary>
public readonly record struct StressProgress(long Runs, long Steps, TimeSpan Elapsed, long HeapBytes, long WorkingSetBytes);

/// <summary>The outcome of a stress run.</summary>
public sealed record StressResult(
    long Runs, long Steps, TimeSpan Elapsed, long HeapBytesMax, long WorkingSetBytesMax, IReadOnlyList<string> Checks, Violation? Violation, RunReport? Report, bool Cancelled)
{
    public double StepsPerSecond => Steps / Math.Max(Elapsed.TotalSeconds, 1e-6);
}

/// <summary>
/// Runs a stress world over and over, checkers on, until the time is spent, a bound is reached, the
/// caller cancels, or a violation appears. Deterministic: each run is a schedule of the portfolio
/// (random, PCT 2/3/5) with a seed derived from (seed, run), and a violation comes with its schedule.
/// Threaded: each run is the same world on the thread pool, ended when no delivery happened for
/// <see cref="QuietPollsMin"/> polls in a row; checks that need a quiescent point are off there.
/// </summary>
public static class StressRunner
{
    /// <summary>The checks that work on the threaded scheduler: event observers and end-of-run checks.</summary>
    public static readonly IReadOnlySet<string> ThreadedChecks = new HashSet<string>(
        ["lockdep", Checking.TlbCoherenceObserver.CheckName, "races", "resources", Checking.FileIntegrityChecker.CheckName], StringComparer.Ordinal);

    /// <summary>Wall-clock time between two looks at a threaded run.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);

    /// <summary>Polls without a delivery after which a threaded run is over (its timers are at most a few ticks of 1 ms).</summary>
    public const int QuietPollsMin = 5;

    public static StressResult Run(ScenarioDefinition world, StressOptions options, Action<StressProgress>? progress = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(world);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Scheduler is not ("deterministic" or "threaded"))
        {
            throw new ArgumentException($"unknown scheduler '{options.Scheduler}' (deterministic or threaded)", nameof(options));
        }

        bool threaded = options.Scheduler == "threaded";
        IReadOnlySet<string> checks = options.Checks ?? world.Checks;
        if (threaded)
        {
            checks = new HashSet<string>(checks.Where(ThreadedChecks.Contains), StringComparer.Ordinal);
        }

        ScenarioDefinition definition = world with { Checks = new HashSet<string>(checks, StringComparer.Ordinal) };
        long stepsPerRun = options.StepsPerRunMax ?? Math.Max(1_000_000, 2_000L * (world.Processes.Count + world.Inspectors.Count));
        var clock = Stopwatch.StartNew();
        var meter = new Meter();
        long runs = 0;
        long steps = 0;
        long estimate = 0;
        while (!cancel.IsCancellationRequested && clock.Elapsed < options.TimeMax && (options.RunsMax is null || runs < options.RunsMax))
        {
            Violation? violation;
            RunReport? report = null;
            long runSteps;
            if (threaded)
            {
                (runSteps, violation) = RunThreaded(definition, Prng.Derive(options.Seed, (ulong)runs), options.TimeMax - clock.Elapsed, cancel);
            }
            else
            {
                var explore = new ExploreOptions { Seed = options.Seed, Strategy = "portfolio", StepsMax = stepsPerRun, Checks = definition.Checks };
                RunOptions run = runs == 0 ? Explorer.OptionsFor(explore, 0, 1) with { Strategy = "random" } : Explorer.OptionsFor(explore, runs, estimate);
                report = ScenarioRunner.Run(() => new ShadowPtScenario(definition), run);
                estimate = runs == 0 ? Math.Max(1, report.Steps) : estimate;
                (runSteps, violation) = (report.Steps, report.Violation);
            }

            runs++;
            steps += runSteps;
            meter.Sample();
            progress?.Invoke(new StressProgress(runs, steps, clock.Elapsed, meter.HeapBytesMax, meter.WorkingSetBytesMax));
            if (violation is not null)
            {
                return new StressResult(runs, steps, clock.Elapsed, meter.HeapBytesMax, meter.WorkingSetBytesMax, [.. checks.Order(StringComparer.Ordinal)], violation, report, false);
            }
        }

        return new StressResult(runs, steps, clock.Elapsed, meter.HeapBytesMax, meter.WorkingSetBytesMax, [.. checks.Order(StringComparer.Ordinal)], null, null, cancel.IsCancellationRequested);
    }

    /// <summary>
    /// One run on the thread pool: until it is over (no delivery for <see cref="QuietPollsMin"/> polls and no
    /// actor suspended in a handler), a violation, the time left, or cancellation. A run with no delivery
    /// for <see cref="HungPollsMin"/> polls while actors are still suspended is a <c>hang</c>: the threaded
    /// counterpart of the deterministic deadlock check. Returns its deliveries and violation.
    /// </summary>
    private static (long Steps, Violation? Violation) RunThreaded(ScenarioDefinition definition, ulong seed, TimeSpan left, CancellationToken cancel)
    {
        var scenario = new ShadowPtScenario(definition);
        using ActorSystem system = ActorSystem.CreateThreaded(definition.Name, new ThreadedOptions { Seed = seed });
        scenario.Setup(system);
        var clock = Stopwatch.StartNew();
        long last = -1;
        int quiet = 0;
        IReadOnlyList<string> suspended = [];
        bool over = false;
        while (system.Violation is null && !over && clock.Elapsed < left && !cancel.IsCancellationRequested)
        {
            cancel.WaitHandle.WaitOne(PollInterval);
            long now = system.Steps;
            quiet = now == last ? quiet + 1 : 0;
            last = now;
            suspended = quiet >= QuietPollsMin ? system.SuspendedActors() : [];
            // Not before the first delivery, and not while the thread pool has queued work (a mailbox
            // waiting for a thread on a loaded machine is neither the end nor a hang).
            bool idle = now > 0 && ThreadPool.PendingWorkItemCount == 0;
            over = quiet >= QuietPollsMin && idle && (suspended.Count == 0 || quiet >= HungPollsMin);
        }

        if (system.Violation is not null || !over)
        {
            return (system.Steps, system.Violation);
        }

        Violation? violation = suspended.Count > 0
            ? new Violation(HangKind, $"no delivery for {quiet * PollInterval.TotalMilliseconds} ms while these actors wait in a handler: {string.Join(", ", suspended.Take(16))}; lock waits: {LockWaits(scenario)}", system.Steps, system.Now)
            : scenario.CheckEnd(system);
        return (system.Steps, violation);
    }

    /// <summary>The queued lock requests of a stopped run, for a hang report (read while nothing is delivered).</summary>
    private static string LockWaits(ShadowPtScenario scenario)
    {
        IReadOnlyList<Kernel.LockWait> waits = scenario.Machine?.State.LockWaits.All ?? [];
        return waits.Count == 0 ? "none" : string.Join("; ", waits.Take(16).Select(w => $"pid {w.Owner.Id} waits for {w.Lock.Name} ({w.Mode})"));
    }

    /// <summary>Kind of a threaded run that stopped making progress with actors still waiting (a deadlock, most likely).</summary>
    public const string HangKind = "hang";

    /// <summary>Polls without a delivery, actors still suspended, after which a threaded run is a hang.</summary>
    public const int HungPollsMin = 250;

    /// <summary>The largest GC heap and working set seen.</summary>
    private sealed class Meter
    {
        public long HeapBytesMax { get; private set; }

        public long WorkingSetBytesMax { get; private set; }

        public void Sample()
        {
            HeapBytesMax = Math.Max(HeapBytesMax, GC.GetTotalMemory(false));
            WorkingSetBytesMax = Math.Max(WorkingSetBytesMax, Environment.WorkingSet);
        }
    }
}
