using ShadowPt.Kernel;
using ShadowPt.Kernel.Programs;

namespace ShadowPt.Scenarios.BuiltIn;

/// <summary>
/// The built-in scenarios of soft-dirty tracking and page-out: a target process writing pages while a
/// second process on the other CPU clears its soft-dirty bits (clear_refs) or pages its memory out
/// (process_madvise MADV_PAGEOUT), and an inspector watching the target through the shadow table. The
/// usual checks run (shadow consistency, resources with swap slots, lockdep, TLB coherence, races), and
/// the soft-dirty monitor asserts at every quiescent point that no write after a clear was missed.
/// </summary>
public static class SwapScenarios
{
    /// <summary>Where the target's data mapping is placed (MAP_FIXED_NOREPLACE), so other processes can name it.</summary>
    public static readonly VirtAddr DataAt = new(0x10002000);

    /// <summary>Where the target's locked mapping is placed.</summary>
    public static readonly VirtAddr LockedAt = new(0x10008000);

    /// <summary>Pages of the data mapping.</summary>
    public const int DataPages = 4;

    /// <summary>The range the inspector tracks: the data and locked mappings.</summary>
    public static readonly AddrRange Tracked = new(DataAt, LockedAt + (2 * PageGeometry.PageSize));

    /// <summary>soft-dirty: writes racing with two clear_refs, one page swapped out and back in between.</summary>
    public static ShadowPtScenario SoftDirty(string name = "soft-dirty")
    {
        ProcessProgram target = new ProgramBuilder("sd-target", "writes its pages while another process clears their soft-dirty bits; swaps one out and back")
            .Mmap("data", DataPages)
            .Write("data", 0, 0x41)
            .Write("data", 1, 0x42)
            .Write("data", 2, 0x43).Think(2)
            .Write("data", 0, 0x44).Think(1)
            .Write("data", 1, 0x45)
            .Step(new MadvisePageoutStep("data", 2, 1))
            .Think(2).Write("data", 3, 0x46)
            .Read("data", 2).Think(2)
            .Write("data", 0, 0x47)
            .Build();
        ProcessProgram tracker = new ProgramBuilder("sd-tracker", "clears the target's soft-dirty bits twice")
            .Step(new ClearRefsStep("target") { ThinkTicks = 2 })
            .Step(new ClearRefsStep("target") { ThinkTicks = 5 })
            .Build();
        return Build(name, "2 CPUs, soft-dirty on: a target writes pages while a tracker on the other CPU writes 4 to its clear_refs; one page goes to swap and back with its soft-dirty bit", target, tracker, memSoftDirty: true);
    }

    /// <summary>pageout: a reclaimer pages the target's memory out while it faults pages back; fork shares swap entries; locked pages stay.</summary>
    public static ShadowPtScenario Pageout(string name = "pageout")
    {
        ProcessProgram target = new ProgramBuilder("po-target", "writes pages, pages them out, forks, faults them back, keeps a locked mapping")
            .Mmap("data", DataPages)
            .Mmap("locked", 2)
            .Write("data", 0, 0x51)
            .Write("data", 1, 0x52)
            .Write("data", 2, 0x53)
            .Write("locked", 0, 0x4c)
            .Mlock("locked", 0, 2)
            .Step(new MadvisePageoutStep("data", 0, 2))
            .Step(new MadvisePageoutStep("locked", 0, 2))
            .Fork(out ProcessId child)
            .Read("data", 0, by: child)
            .Exit(child).Think(1)
            .Read("data", 1).Think(1)
            .Write("data", 2, 0x54)
            .Munmap("data", 3, 1)
            .Read("data", 0)
            .Build();
        ProcessProgram reclaimer = new ProgramBuilder("po-reclaimer", "pages the target's data out with process_madvise, twice")
            .Step(new ProcessMadvisePageoutStep("target", DataAt.Value, DataPages) { ThinkTicks = 1 })
            .Step(new ProcessMadvisePageoutStep("target", DataAt.Value, DataPages) { ThinkTicks = 2 })
            .Build();
        return Build(name, "2 CPUs, an 8-slot swap device: a target pages out, forks and faults its pages back while a reclaimer on the other CPU pages them out again; mlocked pages are never paged out", target, reclaimer, memSoftDirty: false);
    }

    private static ShadowPtScenario Build(string name, string description, ProcessProgram target, ProcessProgram other, bool memSoftDirty)
    {
        var placement = new Dictionary<string, VirtAddr>(StringComparer.Ordinal) { ["data"] = DataAt, ["locked"] = LockedAt };
        var machine = new MachineConfig { Cpus = 2, Frames = 1024, SwapSlots = 8, MemSoftDirty = memSoftDirty };
        return new ShadowPtScenario(new ScenarioDefinition
        {
            Name = name,
            Description = description,
            Seed = 8,
            Machine = machine,
            Processes =
            [
                new ProcessDefinition("target", 0, false, target, placement, false),
                new ProcessDefinition("other", 1, false, other, new Dictionary<string, VirtAddr>(StringComparer.Ordinal), true),
            ],
            Inspectors = [new InspectorDefinition("inspector", 1, "target", Tracked.Start.Value, Tracked.End.Value, 1, 12, default, null, true)],
        });
    }
}
