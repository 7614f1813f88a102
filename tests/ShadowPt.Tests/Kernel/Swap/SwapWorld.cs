using ShadowPt.Kernel;
using ShadowPt.Kernel.Programs;
using ShadowPt.Scenarios;
using ShadowPt.Scenarios.BuiltIn;

namespace ShadowPt.Tests.Kernel.Swap;

/// <summary>Runs a target program (and optionally a second process on CPU 1) with an inspector and every check, and reads the end state.</summary>
internal static class SwapWorld
{
    public static readonly VirtAddr Data = SwapScenarios.DataAt;

    public static readonly VirtAddr Locked = SwapScenarios.LockedAt;

    public static MachineConfig Machine(int swapSlots = 8, bool softDirty = true, params string[] variants) =>
        new() { Cpus = 2, Frames = 512, SwapSlots = swapSlots, MemSoftDirty = softDirty, Variants = new HashSet<string>(variants, StringComparer.Ordinal) };

    /// <summary>One run; the scenario keeps the machine for inspection.</summary>
    public static (RunReport Report, KernelState State) Run(ProcessProgram target, MachineConfig machine, ulong seed = 1, ProcessProgram? other = null, string strategy = "random", string[]? checks = null)
    {
        ShadowPtScenario scenario = Scenario(target, machine, other);
        if (checks is not null)
        {
            scenario.SelectChecks(new HashSet<string>(checks, StringComparer.Ordinal));
        }

        RunReport report = ScenarioRunner.Run(() => scenario, new RunOptions { Seed = seed, Strategy = strategy, StepsMax = 200_000 });
        return (report, scenario.Machine!.State);
    }

    public static ShadowPtScenario Scenario(ProcessProgram target, MachineConfig machine, ProcessProgram? other = null)
    {
        var placement = new Dictionary<string, VirtAddr>(StringComparer.Ordinal) { ["data"] = Data, ["locked"] = Locked };
        var processes = new List<ProcessDefinition> { new("target", 0, false, target, placement, false) };
        if (other is not null)
        {
            processes.Add(new ProcessDefinition("other", 1, false, other, new Dictionary<string, VirtAddr>(StringComparer.Ordinal), true));
        }

        return new ShadowPtScenario(new ScenarioDefinition
        {
            Name = "swap-test",
            Description = "swap and soft-dirty test",
            Machine = machine,
            Processes = processes,
            Inspectors = [new InspectorDefinition("inspector", 1, "target", SwapScenarios.Tracked.Start.Value, SwapScenarios.Tracked.End.Value, 1, 8, default, null, true)],
        });
    }

    public static int Target(KernelState s) => ProcTarget.Pidof(s, "target");

    /// <summary>The pagemap entry of page <paramref name="index"/> above <paramref name="start"/> in the target.</summary>
    public static PagemapEntry Entry(KernelState s, VirtAddr start, int index)
    {
        VirtAddr page = start + ((ulong)index * PageGeometry.PageSize);
        return ProcessMemory.ReadPagemap(s, Target(s), new AddrRange(page, page + PageGeometry.PageSize))[0];
    }

    public static Pte PteOf(KernelState s, VirtAddr start, int index) =>
        s.Task(Target(s)).Mm!.Pgd.GetPte(start + ((ulong)index * PageGeometry.PageSize));

    /// <summary>The first byte of the target's page, wherever it is (its frame or its swap slot).</summary>
    public static byte FirstByte(KernelState s, VirtAddr start, int index)
    {
        Pte pte = PteOf(s, start, index);
        var page = new byte[PageGeometry.PageSize];
        if (pte.IsPresent)
        {
            s.Frames.ReadBytes(pte.Pfn, 0, page, new Provenance(-1, "test"));
        }
        else
        {
            Assert.True(pte.IsSwap, $"page {index} is neither present nor swapped: {pte}");
            Assert.True(SwapInfo.Of(s).TryPeek(pte.PteToSwpEntry(), page));
        }

        return page[0];
    }
}
