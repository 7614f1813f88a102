using System.Collections.Immutable;
using System.Globalization;
using ShadowPt.Kernel.Programs;

namespace ShadowPt.Kernel.Conformance;

/// <summary>
/// The observations of one run of a program, after every step, from one source (<c>linux</c> or
/// <c>simulator</c>). Made by <see cref="ObservationRecorder"/>, which checks that they are complete.
/// </summary>
public sealed class ProgramObservations
{
    internal ProgramObservations(string programName, string source, ImmutableArray<StepObservation> steps)
    {
        ProgramName = programName;
        Source = source;
        Steps = steps;
    }

    /// <summary>The program that ran.</summary>
    public string ProgramName { get; }

    /// <summary>Who ran it: <c>linux</c>, <c>simulator</c>, ...; not part of the canonical text.</summary>
    public string Source { get; }

    /// <summary>One entry per step, in step order.</summary>
    public ImmutableArray<StepObservation> Steps { get; }

    /// <summary>The observation after step <paramref name="stepIndex"/>.</summary>
    public StepObservation Step(int stepIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(stepIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(stepIndex, Steps.Length);
        return Steps[stepIndex];
    }

    /// <summary>
    /// One line per fact, <c>key: value</c>, in a stable order: step, then process, then outcome,
    /// then labels in definition order, VMAs by start and pages by offset. Two sources agree when
    /// their canonical lines are equal.
    /// </summary>
    public ImmutableArray<string> CanonicalLines()
    {
        var lines = ImmutableArray.CreateBuilder<string>();
        lines.Add("program: " + ProgramName);
        foreach (StepObservation step in Steps)
        {
            string s = "step " + step.StepIndex.ToString(CultureInfo.InvariantCulture);
            lines.Add($"{s}: {step.Header}");
            foreach (ProcessObservation process in step.Processes)
            {
                string sp = $"{s} {process.Process}";
                if (process.Outcome is StepOutcome outcome)
                {
                    lines.Add($"{sp} faults: {outcome.FaultsText}");
                    lines.Add($"{sp} signal: {(outcome.Segv ? "SIGSEGV" : "none")}");
                    lines.Add($"{sp} error: {outcome.ErrnoText}");
                    if (outcome.ReadValue is byte value)
                    {
                        lines.Add($"{sp} read: 0x{value.ToString("x2", CultureInfo.InvariantCulture)}");
                    }
                }

                foreach (LabelObservation label in process.Labels)
                {
                    string vmas = label.Vmas.IsEmpty ? "none" : string.Join(' ', label.Vmas);
                    lines.Add($"{sp} vmas {label.Label}: {vmas}");
                    foreach (PageFact page in label.Pages)
                    {
                        lines.Add($"{sp} page {ProgramStep.PageText(label.Label, page.PageOffset)}: {page}");
                    }
                }
            }
        }

        return lines.ToImmutable();
    }

    /// <summary>The canonical lines joined with '\n', ending with one.</summary>
    public string ToCanonicalText() => string.Join('\n', CanonicalLines()) + "\n";

    public override string ToString() => $"{ProgramName} ({Source}, {Steps.Length} steps)";
}
