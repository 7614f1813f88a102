using System.Collections.Immutable;
using ShadowPt.Kernel.Programs;

namespace ShadowPt.Kernel.Conformance;

/// <summary>Runs programs on a reference (Linux) and a candidate (the simulator) and compares them.</summary>
public static class ConformanceSuite
{
    /// <summary>Runs each program on both runners, reference first, and compares their observations.</summary>
    public static ConformanceReport Run(IProgramRunner reference, IProgramRunner candidate, IEnumerable<ProcessProgram> programs)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentNullException.ThrowIfNull(programs);
        var comparisons = ImmutableArray.CreateBuilder<ObservationComparison>();
        foreach (ProcessProgram program in programs)
        {
            ProgramObservations expected = reference.Run(program);
            ProgramObservations actual = candidate.Run(program);
            comparisons.Add(ObservationComparer.Compare(expected, actual));
        }

        return new ConformanceReport(comparisons.ToImmutable());
    }
}
