using ShadowPt.Kernel;
using ShadowPt.Kernel.Programs;

namespace ShadowPt.Scenarios.BuiltIn;

/// <summary>
/// The built-ins of the first seed's neighbouring mechanisms: <c>fault-policy</c> (a custom
/// handle_mm_fault that maps an 'X' page or says "retry later") and <c>numa-balancing</c> (an mlocked
/// page that still takes minor NUMA hinting faults at the seed's growing intervals).
/// </summary>
public static class PolicyScenarios
{
    /// <summary>Where the fault-policy target maps its buffer, inside the inspector's tracked range.</summary>
    public static readonly VirtAddr BufferAt = new(0x10000000);

    /// <summary>Where the numa-balancing target maps <c>x</c>: the page it writes, then one it touched once (it stays PROT_NONE after the first scan).</summary>
    public static readonly VirtAddr XAt = new(0x20000000);

    /// <summary>
    /// Ticks the numa-balancing target spins: past the eleventh scan (t = 55 381 ticks = 221.5 s), so the
    /// run shows every interval of the seed up to the second 60 s one.
    /// </summary>
    public const long NumaSpinTicks = 56_000;

    /// <summary>The fault-policy scenario: 2 CPUs, the policy on "target", an inspector watching the shadow table.</summary>
    public static ShadowPtScenario FaultPolicy(string name = "fault-policy")
    {
        var rw = Prot.Read | Prot.Write;
        ProcessProgram target = new ProgramBuilder("target", "faults pages in under the custom policy: writes, reads, an mlock populate, a refault after munmap")
            .Mmap("buf", 8, rw, MapFlags.Private | MapFlags.Anonymous)
            .Write("buf", 0, 0x41).Think(1)
            .Read("buf", 1)
            .Write("buf", 2, 0x42).Think(1)
            .Read("buf", 3)
            .Mlock("buf", 4, 2).Think(1)
            .Write("buf", 6, 0x43)
            .MadviseDontneed("buf", 0, 1).Think(1)
            .Read("buf", 0)
            .Write("buf", 7, 0x44)
            .Build();
        var definition = new ScenarioDefinition
        {
            Name = name,
            Description = "The first seed's custom fault handling: each fault of 'target' maps a page of 'X' or answers VM_FAULT_RETRY (a strategy choice, at most 3 retries per fault); the shadow table follows",
            Seed = 3,
            Machine = new MachineConfig { Cpus = 2, Frames = 1024, FaultPolicy = new FaultPolicyConfig { Process = "target" } },
            Processes = [new ProcessDefinition("target", 0, false, target, new Dictionary<string, VirtAddr>(StringComparer.Ordinal) { ["buf"] = BufferAt }, false)],
            Inspectors = [new InspectorDefinition("inspector", 1, "target", BufferAt.Value, BufferAt.Value + (8 * PageGeometry.PageSize), 1, 10, Actors.InspectorEnding.Close, null, true)],
        };
        return new ShadowPtScenario(definition);
    }

    /// <summary>
    /// The numa-balancing scenario: two nodes, the target on CPU 1 (node 1) mlocks a page that the
    /// allocator placed on node 0 and writes it every tick; the scanner protects it, the first hinting
    /// fault migrates it, and every later one finds it local, each a minor fault. A second locked page
    /// is never touched again, so it stays PROT_NONE from the first scan on (the shadow table shows it mapped).
    /// <paramref name="bind"/> first binds the target's memory policy to node 1: no hinting faults.
    /// </summary>
    public static ShadowPtScenario NumaBalancing(string name = "numa-balancing", bool bind = false, long spinTicks = NumaSpinTicks)
    {
        var builder = new ProgramBuilder("target", "mlocks one page and writes it every tick, as the seed's mlockall test does");
        if (bind)
        {
            builder.SetMempolicy(MemPolicyMode.Bind, 1UL << 1);
        }

        ProcessProgram target = builder
            .Mmap("x", 2, Prot.Read | Prot.Write, MapFlags.Private | MapFlags.Anonymous)
            .Mlock("x", 0, 2)
            .Spin("x", 0, spinTicks, 0x78)
            .Build();
        var definition = new ScenarioDefinition
        {
            Name = name,
            Description = "mlock does not stop NUMA hinting faults: the scanner revokes access to a locked page at intervals of 2, 4, 4, 4.8, 8.16, 13.87, ... 60 s (the seed's); MPOL_BIND stops them",
            Seed = 5,
            StepsMax = 4_000_000,
            Machine = new MachineConfig { Cpus = 2, Frames = 1024, Numa = new NumaConfig { Nodes = 2 } },
            Processes = [new ProcessDefinition("target", 1, false, target, new Dictionary<string, VirtAddr>(StringComparer.Ordinal) { ["x"] = XAt }, false)],
            Inspectors = [new InspectorDefinition("inspector", 0, "target", XAt.Value, XAt.Value + (2 * PageGeometry.PageSize), 250, 40, Actors.InspectorEnding.Close, null, true)],
        };
        return new ShadowPtScenario(definition);
    }
}
