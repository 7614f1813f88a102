using ShadowPt.Runtime.Recording;
using ShadowPt.Scenarios;

namespace ShadowPt.Exploration;

/// <summary>What minimisation did: the smaller run, and the sizes before and after.</summary>
public sealed record MinimizeResult(RunReport Report, long StepsBefore, int PreemptionsBefore, long StepsAfter, int PreemptionsAfter, int CandidateRuns);

/// <summary>
/// Shrinks a violating schedule: fewer preemptions first, then fewer steps, keeping the same violation
/// kind at every accepted candidate and never accepting one with more preemptions or more steps. Candidates run with <see cref="GuidedStrategy"/> (the candidate's
/// choices, non-preemptive where it has holes or stops fitting), so every candidate run is itself a
/// valid recorded schedule. Deterministic: the same schedule always gives the same result.
/// </summary>
/// <remarks>
/// Three passes, all bounded by <see cref="CandidateRunsMax"/> runs in total: (1) keep a prefix holding
/// the first k preemptions and let the fallback finish without preempting, with the smallest k found by
/// bisection; (2) replace each remaining preemption, last first, by the non-preemptive choice; (3) delete
/// chunks of choices, halving the chunk size (delta debugging in the style of Zeller's ddmin).
/// </remarks>
public static class Minimizer
{
    /// <summary>Most candidate runs one minimisation makes.</summary>
    public const int CandidateRunsMax = 300;

    /// <summary>Smallest chunk (in choices) the deletion pass tries.</summary>
    private const int ChunkMin = 1;

    public static MinimizeResult Minimize(Func<Scenario> scenarioFactory, RunReport violating, int candidateRunsMax = CandidateRunsMax)
    {
        ArgumentNullException.ThrowIfNull(scenarioFactory);
        ArgumentNullException.ThrowIfNull(violating);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(candidateRunsMax);
        string kind = violating.Violation?.Kind ?? throw new ArgumentException("the run has no violation to keep", nameof(violating));
        var search = new Search(scenarioFactory, violating.Schedule, kind, candidateRunsMax);
        Candidate original = search.Evaluate(Plan(violating.Schedule.Choices), force: true)!;
        if (original.Kind != kind || original.Report.TraceHash != violating.TraceHash)
        {
            // The schedule does not reproduce under the guide (it should): keep it as it is.
            return new MinimizeResult(violating, violating.Steps, original.Preemptions, violating.Steps, original.Preemptions, search.Runs);
        }

        search.Best = original;
        search.CutAtPreemptions();
        search.RemovePreemptions();
        search.DeleteChunks();
        Candidate best = search.Best;

        // The result must replay as saved, through the ordinary replay path; otherwise keep the original.
        try
        {
            ScenarioRunner.Replay(scenarioFactory(), best.Report.Schedule, null);
        }
        catch (ScheduleDivergedException)
        {
            best = original;
        }

        return new MinimizeResult(best.Report, original.Report.Steps, original.Preemptions, best.Report.Steps, best.Preemptions, search.Runs);
    }

    private static ScheduleChoice?[] Plan(IReadOnlyList<ScheduleChoice> choices)
    {
        var plan = new ScheduleChoice?[choices.Count];
        for (int i = 0; i < plan.Length; i++)
        {
            plan[i] = choices[i];
        }

        return plan;
    }

    /// <summary>One evaluated candidate: its run, the violation kind it ended with, and its preemptions.</summary>
    private sealed record Candidate(RunReport Report, string Kind, int Preemptions, IReadOnlyList<int> PreemptionPositions)
    {
        public ScheduleChoice?[] Choices() => Plan(Report.Schedule.Choices);

        /// <summary>No more preemptions and no more steps, and fewer of one: a result never grows either way.</summary>
        public bool IsBetterThan(Candidate other) =>
            Preemptions <= other.Preemptions && Report.Steps <= other.Report.Steps && (Preemptions < other.Preemptions || Report.Steps < other.Report.Steps);
    }

    /// <summary>The state of one minimisation: the best candidate so far and the runs spent.</summary>
    private sealed class Search(Func<Scenario> scenarioFactory, Schedule schedule, string kind, int runsMax)
    {
        private readonly IReadOnlySet<string>? _checks = schedule.Checks is null ? null : new HashSet<string>(schedule.Checks, StringComparer.Ordinal);

        public int Runs { get; private set; }

        public Candidate Best { get; set; } = null!;

        private bool HasBudget => Runs < runsMax;

        public Candidate? Evaluate(IReadOnlyList<ScheduleChoice?> plan, bool force = false)
        {
            if (!force && !HasBudget)
            {
                return null;
            }

            Runs++;
            var guide = new GuidedStrategy(plan, schedule.Strategy);
            RunReport report = ScenarioRunner.RunWith(scenarioFactory(), guide, schedule.Seed, schedule.StepsMax, _checks);
            return new Candidate(report, report.Violation?.Kind ?? "ok", guide.Preemptions, [.. guide.PreemptionPositions]);
        }

        /// <summary>Accepts <paramref name="candidate"/> when it keeps the violation kind and is smaller.</summary>
        private bool Offer(Candidate? candidate)
        {
            if (candidate is null || candidate.Kind != kind)
            {
                return false;
            }

            if (candidate.IsBetterThan(Best))
            {
                Best = candidate;
            }

            return true;
        }

        /// <summary>Pass 1: the smallest k such that the first k preemptions, then no more, still fail.</summary>
        public void CutAtPreemptions()
        {
            IReadOnlyList<int> positions = Best.PreemptionPositions;
            ScheduleChoice?[] choices = Best.Choices();
            int low = 0;
            int high = positions.Count;
            while (low < high && HasBudget)
            {
                int middle = low + ((high - low) / 2);
                ScheduleChoice?[] plan = choices[..positions[middle]];
                if (Offer(Evaluate(plan)))
                {
                    high = middle;
                }
                else
                {
                    low = middle + 1;
                }
            }
        }

        /// <summary>Pass 2: each remaining preemption, last first, replaced by the fallback's choice.</summary>
        public void RemovePreemptions()
        {
            int i = Best.PreemptionPositions.Count - 1;
            while (i >= 0 && HasBudget)
            {
                Candidate before = Best;
                ScheduleChoice?[] plan = before.Choices();
                plan[before.PreemptionPositions[i]] = null;
                Offer(Evaluate(plan));
                i = Math.Min(i, Best.PreemptionPositions.Count) - 1;
            }
        }

        /// <summary>Pass 3: delete chunks of choices, halving the chunk size, while runs remain.</summary>
        public void DeleteChunks()
        {
            for (int chunk = Math.Max(ChunkMin, Best.Report.Schedule.Choices.Count / 2); chunk >= ChunkMin && HasBudget; chunk /= 2)
            {
                int start = 0;
                while (HasBudget)
                {
                    ScheduleChoice?[] choices = Best.Choices();
                    if (start >= choices.Length)
                    {
                        break;
                    }

                    int end = Math.Min(choices.Length, start + chunk);
                    ScheduleChoice?[] plan = [.. choices[..start], .. choices[end..]];
                    Candidate previous = Best;
                    Offer(Evaluate(plan));
                    if (ReferenceEquals(previous, Best))
                    {
                        start = end;
                    }
                }

                if (chunk == ChunkMin)
                {
                    break;
                }
            }
        }
    }
}
