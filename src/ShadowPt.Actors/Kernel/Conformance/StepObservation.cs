using System.Collections.Immutable;
using ShadowPt.Kernel.Programs;

namespace ShadowPt.Kernel.Conformance;

/// <summary>Everything recorded after one step, by every process live after it, in ascending process order.</summary>
public sealed record StepObservation(int StepIndex, string Header, ImmutableArray<ProcessObservation> Processes)
{
    /// <summary>The observation of <paramref name="process"/>; throws when it was not live after the step.</summary>
    public ProcessObservation Of(ProcessId process) =>
        Processes.FirstOrDefault(p => p.Process == process)
        ?? throw new ArgumentException($"{process} did not observe step {StepIndex}", nameof(process));

    /// <summary>The outcome of the process that ran the step; null after an exit step.</summary>
    public StepOutcome? Outcome => Processes.Select(p => p.Outcome).FirstOrDefault(o => o is not null);
}
