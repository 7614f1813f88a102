using ShadowPt.Scenarios;

namespace ShadowPt.Exploration;

/// <summary>
/// Systematic, stateless exploration: every execution re-runs the scenario from the start, replaying
/// a prefix of choices kept on a stack and extending it; backtracking changes the deepest choice that
/// has an alternative left. With reduction it is source-DPOR with sleep sets (Abdulla, Aronis,
/// Jonsson, Sagonas, POPL 2014, Algorithm 1; Flanagan and Godefroid, POPL 2005): after each execution
/// the races between dependent deliveries are found from a happens-before relation, and for each
/// reversible race an initial of the reversed order joins the backtrack set of the point before
/// the race. Data choices (booleans, integers) are explored for every value, without reduction.
/// The dependency relation is documented in docs/architecture.md ("Systematic exploration").
/// </summary>
public static class DfsExplorer
{
    /// <summary>The <see cref="DfsResult.StoppedBy"/> of a cancelled exploration.</summary>
    public const string InterruptedReason = "interrupted";

    /// <summary>
    /// Explores <paramref name="scenarioFactory"/> until it is exhausted, a violation is found, or a
    /// bound is reached. <paramref name="onExecution"/> sees every complete execution's report.
    /// <paramref name="cancel"/> (Ctrl-C) stops it between executions with the partial result.
    /// </summary>
    public static DfsResult Run(Func<Scenario> scenarioFactory, DfsOptions options, Action<RunReport>? onExecution = null, Action<long, TimeSpan>? progress = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(scenarioFactory);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.ExecutionsMax);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.ExecutionsMax, DfsOptions.ExecutionsMaxLimit);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.StepsMax);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.StepsMax, DfsOptions.StepsMaxLimit);
        if (options.PreemptionBound is int b)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(b);
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var session = new Session(options, scenarioFactory());
        var stack = new List<ChoiceNode>();
        var traces = new HashSet<string>(StringComparer.Ordinal);
        long executions = 0, blocked = 0, pruned = 0, depthMax = 0;
        DateTime lastProgress = DateTime.UtcNow;
        while (true)
        {
            string? stop = executions + blocked >= options.ExecutionsMax ? $"executions-max {options.ExecutionsMax}"
                : cancel.IsCancellationRequested ? InterruptedReason
                : options.TimeMax is TimeSpan t && clock.Elapsed >= t ? $"time-max {t.TotalSeconds:0.#} s"
                : null;
            if (stop is not null)
            {
                return Result(false, stop, null);
            }

            int changed = stack.Count - 1;
            int firstNew = changed < 0 ? 0 : Math.Max(0, stack[changed].Step);
            var strategy = new DporStrategy(session, stack);
            RunReport? report = null;
            try
            {
                report = ScenarioRunner.RunWith(scenarioFactory(), strategy, 0, options.StepsMax, options.Checks);
                executions++;
            }
            catch (DporBlockedException)
            {
                blocked++;
                pruned += strategy.PrunedAtBlock;
            }

            if (strategy.Divergence is string divergence)
            {
                throw new InvalidOperationException("dfs: " + divergence);
            }

            depthMax = Math.Max(depthMax, strategy.Steps.Count);
            if (report is not null)
            {
                traces.Add(report.TraceHash);
                onExecution?.Invoke(report);
                if (report.Violation is not null)
                {
                    return Result(false, "the first violation", report);
                }
            }

            DporRaces.Analyse(strategy.Steps, stack, firstNew, options);
            if (!Advance(stack, strategy.Steps, options, ref pruned))
            {
                return Result(pruned == 0, pruned == 0 ? null : FormattableString.Invariant($"preemption bound {options.PreemptionBound}, which pruned {pruned} choices"), null);
            }

            if (progress is not null && DateTime.UtcNow - lastProgress >= TimeSpan.FromSeconds(1))
            {
                lastProgress = DateTime.UtcNow;
                progress(executions + blocked, clock.Elapsed);
            }
        }

        DfsResult Result(bool exhaustive, string? stoppedBy, RunReport? violation) => new()
        {
            Executions = executions,
            SleepBlocked = blocked,
            Exhaustive = exhaustive,
            StoppedBy = stoppedBy,
            Interrupted = ReferenceEquals(stoppedBy, InterruptedReason),
            Pruned = pruned,
            DepthMax = depthMax,
            Elapsed = clock.Elapsed,
            FirstViolation = violation,
            DistinctTraces = traces.Count,
        };
    }

    /// <summary>
    /// Moves to the next execution: the deepest node with an unexplored alternative takes it and the
    /// nodes below it go. A delivery node's alternatives are its backtrack set (every enabled delivery
    /// without reduction) minus what was done or sleeps; a data node's are its next values.
    /// </summary>
    private static bool Advance(List<ChoiceNode> stack, List<StepRecord> steps, DfsOptions options, ref long pruned)
    {
        foreach (StepRecord step in steps)
        {
            if (step.Global && step.Node < stack.Count)
            {
                stack[step.Node].ChosenGlobal = true;
            }
        }

        while (stack.Count > 0)
        {
            ChoiceNode node = stack[^1];
            if (node.IsData)
            {
                if (node.Value + 1 < node.Range)
                {
                    node.Value++;
                    return true;
                }

                stack.RemoveAt(stack.Count - 1);
                continue;
            }

            node.Done.Add(node.Chosen);
            if (options.Reduction)
            {
                node.Sleep[node.Chosen] = (node.EnabledGroups[node.IndexOf(node.Chosen)], node.ChosenGlobal);
            }

            for (int i = 0; i < node.Enabled.Length; i++)
            {
                long id = node.Enabled[i];
                if ((options.Reduction && !node.Backtrack.Contains(id)) || node.Done.Contains(id) || node.Sleep.ContainsKey(id))
                {
                    continue;
                }

                if (options.PreemptionBound is int bound && node.PreemptionsBefore + (node.IsPreemption(i) ? 1 : 0) > bound)
                {
                    node.Pruned.Add(id);
                    continue;
                }

                node.Chosen = id;
                node.ChosenGlobal = false;
                return true;
            }

            pruned += node.Pruned.Count;
            stack.RemoveAt(stack.Count - 1);
        }

        return false;
    }

    /// <summary>State shared by the executions of one exploration: options, interned names, dependency groups.</summary>
    internal sealed class Session(DfsOptions options, Scenario scenario)
    {
        private readonly Dictionary<string, int> _names = new(StringComparer.Ordinal);

        public DfsOptions Options => options;

        /// <summary>A dense id for <paramref name="name"/>, the same for the whole exploration.</summary>
        public int Intern(string name)
        {
            if (!_names.TryGetValue(name, out int id))
            {
                id = _names.Count;
                _names.Add(name, id);
            }

            return id;
        }

        /// <summary>The dependency group of an actor: deliveries to actors of one group are dependent.</summary>
        public int GroupOf(string actorPath) => Intern("group " + (scenario.SharedStateGroup(actorPath) ?? actorPath));
    }
}
