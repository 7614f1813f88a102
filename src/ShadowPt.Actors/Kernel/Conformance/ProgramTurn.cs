using System.Collections.Immutable;
using ShadowPt.Kernel.Programs;

namespace ShadowPt.Kernel.Conformance;

/// <summary>
/// One exclusive slice of a run: <see cref="Process"/> either executes step <see cref="StepIndex"/>
/// or, when <see cref="Observe"/>, records its view of the labels in <see cref="LabelMask"/>.
/// </summary>
/// <remarks>
/// For each step the process that runs it executes first; then every process live after it
/// observes, in ascending order. The root is always live and has the lowest id, so it observes
/// first after every step, which is where it reaps a child that has just exited.
/// </remarks>
internal readonly record struct ProgramTurn(int StepIndex, ProcessId Process, bool Observe, uint LabelMask)
{
    /// <summary>The turns of <paramref name="program"/>, in the order they run.</summary>
    public static ImmutableArray<ProgramTurn> Of(ProcessProgram program)
    {
        ArgumentNullException.ThrowIfNull(program);
        var turns = ImmutableArray.CreateBuilder<ProgramTurn>(program.Steps.Length * (1 + ProgramLimits.ProcessesMax));
        for (int i = 0; i < program.Steps.Length; i++)
        {
            turns.Add(new ProgramTurn(i, program.Steps[i].Process, Observe: false, LabelMask: 0));
            foreach (ProcessId process in program.LiveAfter(i))
            {
                turns.Add(new ProgramTurn(i, process, Observe: true, program.LabelMaskObservedBy(i, process)));
            }
        }

        return turns.ToImmutable();
    }
}
