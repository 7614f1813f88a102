using System.Collections.Immutable;
using ShadowPt.Kernel.Programs;

namespace ShadowPt.Kernel.Conformance;

/// <summary>
/// What one live process records after a step: the outcome if it ran the step, and its view of
/// every label it has mapped, in definition order.
/// </summary>
public sealed record ProcessObservation(ProcessId Process, StepOutcome? Outcome, ImmutableArray<LabelObservation> Labels)
{
    /// <summary>This process's view of <paramref name="label"/>; throws when it does not observe it.</summary>
    public LabelObservation Label(string label) =>
        Labels.FirstOrDefault(l => l.Label == label)
        ?? throw new ArgumentException($"{Process} does not observe label '{label}'", nameof(label));
}
