using ShadowPt.Kernel.Programs;

namespace ShadowPt.Kernel.Conformance;

/// <summary>Something that runs a process program and observes it after every step: Linux itself, or the simulator.</summary>
public interface IProgramRunner
{
    /// <summary>The name observations carry as their source, e.g. <c>linux</c> or <c>simulator</c>.</summary>
    string Source { get; }

    /// <summary>Runs <paramref name="program"/> once and returns what every process saw after every step.</summary>
    ProgramObservations Run(ProcessProgram program);
}
