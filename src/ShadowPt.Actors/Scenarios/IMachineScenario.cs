using ShadowPt.Actors;

namespace ShadowPt.Scenarios;

/// <summary>A scenario that boots a simulated machine: tools that show the kernel state between steps (the step-through mode, reports) read it here.</summary>
public interface IMachineScenario
{
    /// <summary>The booted machine, after <see cref="Scenario.Setup"/>; null before.</summary>
    Machine? Machine { get; }

    /// <summary>Warnings the scenario's non-fatal checks raised so far (lockdep in the teaching scenarios), oldest first.</summary>
    IReadOnlyList<string> Warnings => [];
}
