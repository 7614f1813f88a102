using System.Collections.Immutable;
using ShadowPt.Kernel.Programs;

namespace ShadowPt.Kernel.Conformance;

/// <summary>
/// Collects the raw facts of one run of a program (frames as raw pfns, in any order) and builds
/// the canonical <see cref="ProgramObservations"/>, checking that every live process observed
/// every step and exactly its labels and pages. The native runner and the simulator both use it,
/// so the structure of their observations cannot drift apart.
/// </summary>
public sealed class ObservationRecorder
{
    /// <summary>VMAs one observation may list across its labels.</summary>
    public const int VmasPerObservationMax = 256;

    /// <summary>Pages one observation may list across its labels.</summary>
    public const int PagesPerObservationMax = ProgramLimits.LabelsMax * ProgramLimits.ObservedPagesPerLabelMax;

    /// <summary>The program being observed.</summary>
    private readonly ProcessProgram program;

    /// <summary>Who ran it.</summary>
    private readonly string source;

    /// <summary>Recorded observations, by (step, process).</summary>
    private readonly SortedDictionary<(int Step, int Process), RawObservation> observations = new();

    /// <summary>The observation that AddVma and AddPage add to.</summary>
    private RawObservation? current;

    public ObservationRecorder(ProcessProgram program, string source)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentException.ThrowIfNullOrWhiteSpace(source);
        this.program = program;
        this.source = source;
    }

    /// <summary>
    /// Starts the observation of <paramref name="process"/> after step <paramref name="stepIndex"/>;
    /// <paramref name="outcome"/> is given by the process that ran the step and only by it.
    /// </summary>
    public void BeginObservation(int stepIndex, ProcessId process, StepOutcome? outcome)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(stepIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(stepIndex, program.Steps.Length);
        if (!program.LiveAfter(stepIndex).Contains(process))
        {
            throw new InvalidOperationException($"{process} is not live after step {stepIndex} of '{program.Name}'");
        }

        bool executor = program.Steps[stepIndex].Process == process;
        if (executor != (outcome is not null))
        {
            throw new InvalidOperationException(
                $"step {stepIndex} of '{program.Name}': {process} {(executor ? "ran the step and must" : "did not run the step and must not")} record an outcome");
        }

        var observation = new RawObservation(process, outcome);
        if (!observations.TryAdd((stepIndex, process.Value), observation))
        {
            throw new InvalidOperationException($"{process} observed step {stepIndex} of '{program.Name}' twice");
        }

        current = observation;
    }

    /// <summary>Adds a VMA of <paramref name="label"/>, in pages relative to the label's address.</summary>
    public void AddVma(string label, long startPage, long endPage, string perms)
    {
        RawObservation observation = Current();
        program.LabelIndex(label);
        if (startPage >= endPage || !VmaFact.IsValidPerms(perms))
        {
            throw new ArgumentException($"bad VMA [{startPage},{endPage}) '{perms}' for label '{label}'");
        }

        if (observation.Vmas.Count == VmasPerObservationMax)
        {
            throw new InvalidOperationException($"more than {VmasPerObservationMax} VMAs in one observation");
        }

        observation.Vmas.Add((label, new VmaFact(startPage, endPage, perms)));
    }

    /// <summary>Adds a page of <paramref name="label"/>; <paramref name="rawFrame"/> is the pfn, 0 when not present.</summary>
    public void AddPage(string label, long pageOffset, bool present, bool exclusive, ulong rawFrame)
    {
        RawObservation observation = Current();
        if (!program.ObservedPages(label).Contains(pageOffset))
        {
            throw new ArgumentOutOfRangeException(nameof(pageOffset), pageOffset, $"page is not observed for label '{label}'");
        }

        if (present == (rawFrame == 0) || (exclusive && !present))
        {
            throw new ArgumentException(
                $"page {label}{pageOffset:+0;-0}: present={present} exclusive={exclusive} frame={rawFrame} is inconsistent");
        }

        if (observation.Pages.Count == PagesPerObservationMax)
        {
            throw new InvalidOperationException($"more than {PagesPerObservationMax} pages in one observation");
        }

        observation.Pages.Add((label, pageOffset, present, exclusive, rawFrame));
    }

    /// <summary>Checks completeness and numbers the frames; throws <see cref="InvalidOperationException"/> when incomplete.</summary>
    public ProgramObservations Build()
    {
        var frames = new Dictionary<ulong, int>();
        var steps = ImmutableArray.CreateBuilder<StepObservation>(program.Steps.Length);
        for (int i = 0; i < program.Steps.Length; i++)
        {
            var processes = ImmutableArray.CreateBuilder<ProcessObservation>(ProgramLimits.ProcessesMax);
            foreach (ProcessId process in program.LiveAfter(i))
            {
                if (!observations.TryGetValue((i, process.Value), out RawObservation? raw))
                {
                    throw new InvalidOperationException($"{process} did not observe step {i} of '{program.Name}'");
                }

                processes.Add(BuildProcess(i, raw, frames));
            }

            steps.Add(new StepObservation(i, program.StepHeader(i), processes.ToImmutable()));
        }

        return new ProgramObservations(program.Name, source, steps.MoveToImmutable());
    }

    private ProcessObservation BuildProcess(int stepIndex, RawObservation raw, Dictionary<ulong, int> frames)
    {
        ImmutableArray<string> labels = program.LabelsObservedBy(stepIndex, raw.Process);
        var result = ImmutableArray.CreateBuilder<LabelObservation>(labels.Length);
        foreach (string label in labels)
        {
            ImmutableArray<VmaFact> vmas = [.. raw.Vmas.Where(v => v.Label == label).Select(v => v.Vma).OrderBy(v => v.StartPage)];
            for (int i = 1; i < vmas.Length; i++)
            {
                if (vmas[i].StartPage < vmas[i - 1].EndPage)
                {
                    throw new InvalidOperationException($"step {stepIndex} {raw.Process}: VMAs of '{label}' overlap");
                }
            }

            PageRange range = program.ObservedPages(label);
            var pages = raw.Pages.Where(p => p.Label == label).OrderBy(p => p.Offset).ToList();
            if (pages.Count != range.Count || pages.Select(p => p.Offset).Distinct().Count() != range.Count)
            {
                throw new InvalidOperationException(
                    $"step {stepIndex} {raw.Process}: label '{label}' needs pages {range.Low}..{range.High - 1} exactly once, got {pages.Count}");
            }

            ImmutableArray<PageFact> facts = [.. pages.Select(p => new PageFact(p.Offset, p.Present, p.Exclusive, FrameId(p.Frame, frames)))];
            result.Add(new LabelObservation(label, vmas, facts));
        }

        int extra = raw.Vmas.Count(v => !labels.Contains(v.Label)) + raw.Pages.Count(p => !labels.Contains(p.Label));
        if (extra != 0)
        {
            throw new InvalidOperationException($"step {stepIndex} {raw.Process}: facts about labels it does not observe");
        }

        return new ProcessObservation(raw.Process, raw.Outcome, result.MoveToImmutable());
    }

    private static int? FrameId(ulong rawFrame, Dictionary<ulong, int> frames)
    {
        if (rawFrame == 0)
        {
            return null;
        }

        if (!frames.TryGetValue(rawFrame, out int id))
        {
            id = frames.Count + 1;
            frames.Add(rawFrame, id);
        }

        return id;
    }

    private RawObservation Current() =>
        current ?? throw new InvalidOperationException("BeginObservation must come before facts");

    /// <summary>The facts of one (step, process) as they arrive.</summary>
    private sealed record RawObservation(ProcessId Process, StepOutcome? Outcome)
    {
        public List<(string Label, VmaFact Vma)> Vmas { get; } = new();

        public List<(string Label, long Offset, bool Present, bool Exclusive, ulong Frame)> Pages { get; } = new();
    }
}
