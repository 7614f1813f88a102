using ShadowPt.Kernel;
using ShadowPt.Kernel.Programs;

namespace ShadowPt.Scenarios.BuiltIn;

/// <summary>
/// The built-in <c>userfaultfd</c> scenario on 2 CPUs: the target (CPU 0) maps a heap, forks its
/// monitor (CPU 1), creates a userfaultfd, registers the heap in MISSING mode and hands the descriptor
/// to the monitor over a socket, as CRIU does; then it touches three pages, each fault blocking it
/// until the monitor's UFFDIO_COPY wakes it. The inspector watches the heap through the shadow page
/// table, which must stay equal to the target's page table while the faults are resolved.
/// </summary>
public static class UserfaultfdScenario
{
    public const string Name = "userfaultfd";

    /// <summary>The byte the monitor's source page starts with.</summary>
    public const byte Fill = 0x5a;

    /// <summary>The target and its monitor.</summary>
    public static ProcessProgram Program()
    {
        return new ProgramBuilder("uffd-target", "a target faulting on a MISSING-registered heap while its monitor resolves with UFFDIO_COPY")
            .Mmap("heap", 4)
            .Fork(out ProcessId monitor)
            .Userfaultfd(UffdFeatures.EventRemove | UffdFeatures.EventUnmap)
            .UffdRegister("heap", 0, 4, UffdRegisterMode.Missing)
            .UffdSend(monitor)
            .UffdRecv(monitor)
            .UffdServe(4, UffdResolve.Copy, Fill, by: monitor)
            .Write("heap", 0, 0x41)
            .Read("heap", 1).Think(1)
            .Read("heap", 2)
            .MadviseDontneed("heap", 1, 1)
            .Read("heap", 0)
            .Exit(monitor)
            .Build();
    }

    /// <summary>A fresh instance.</summary>
    public static ShadowPtScenario Create()
    {
        var config = new MachineConfig { Cpus = 2, Frames = 1024 };
        var placement = new Dictionary<string, VirtAddr>(StringComparer.Ordinal) { ["heap"] = ShadowPtScenario.HeapAt };
        return new ShadowPtScenario(new ScenarioDefinition
        {
            Name = Name,
            Description = "2 CPUs: a target faulting on a MISSING-registered heap blocks until its monitor (a separate process holding the descriptor) resolves each fault with UFFDIO_COPY; the shadow table stays consistent",
            Seed = 11,
            Machine = config,
            Processes = [new ProcessDefinition("target", 0, false, Program(), placement, false)],
            Inspectors = [new InspectorDefinition("inspector", 1, "target", ShadowPtScenario.Tracked.Start.Value, ShadowPtScenario.Tracked.End.Value, 1, 6, Actors.InspectorEnding.Close, null, true)],
            Monitors = [() => new Checking.UserfaultResolvedMonitor()],
        });
    }
}
