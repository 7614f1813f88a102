using System.Collections.Concurrent;
using ShadowPt.Kernel.Conformance;
using ShadowPt.Kernel.Programs;

namespace ShadowPt.Tests.Kernel.Conformance;

/// <summary>Runs each built-in program natively once per test run and shares the observations.</summary>
public sealed class NativeRunnerFixture
{
    private readonly ConcurrentDictionary<string, Lazy<ProgramObservations>> runs = new(StringComparer.Ordinal);

    public NativeRunner Runner { get; } = new();

    public ProgramObservations Observe(string programName) =>
        runs.GetOrAdd(
            programName,
            name => new Lazy<ProgramObservations>(() => Runner.Run(ConformancePrograms.Get(name)))).Value;

    public ProgramObservations Observe(ProcessProgram program) =>
        runs.GetOrAdd(
            program.Name,
            _ => new Lazy<ProgramObservations>(() => Runner.Run(program))).Value;
}
