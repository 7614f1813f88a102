using System.Globalization;
using ShadowPt.Actors;
using ShadowPt.Kernel;
using ShadowPt.Kernel.Programs;
using ShadowPt.Runtime;
using ShadowPt.Runtime.Actors;
using ShadowPt.Spt;

namespace ShadowPt.Scenarios.BuiltIn;

/// <summary>
/// The spec's setting: a target process that maps, writes, grows a stack, forks, unmaps and drops
/// pages inside a tracked range, and an inspector on another CPU that opens the shadow table,
/// prints it every tick, and stops and closes (or exits without closing). At every quiescent point
/// the table must equal the truth computed from the target's VMAs and page table.
/// </summary>
public sealed class ShadowPtScenario : Scenario
{
    /// <summary>Where the target's stack-like grows-down mapping starts (it grows below).</summary>
    public static readonly VirtAddr StackAt = new(0x10000000);

    /// <summary>Where the target's heap-like mapping starts, right above the stack mapping.</summary>
    public static readonly VirtAddr HeapAt = new(0x10002000);

    /// <summary>The tracked range: two pages of stack growth, the stack, the heap, and two spare pages.</summary>
    public static readonly AddrRange Tracked = new(new VirtAddr(0x0fffe000), new VirtAddr(0x1000c000));

    /// <summary>Lines the inspector printed, in order.</summary>
    private readonly List<string> _output = new();

    private readonly string _name;
    private readonly MachineConfig _config;
    private readonly ProcessProgram _target;
    private readonly Func<int, InspectorSpec> _inspector;
    private Machine? _machine;

    public ShadowPtScenario(string name, MachineConfig config, ProcessProgram target, Func<int, InspectorSpec> inspector)
    {
        _name = name;
        _config = config;
        _target = target;
        _inspector = inspector;
    }

    public override string Name => _name;

    public override string Summary =>
        $"{_config.Cpus} CPUs: a target that maps, writes, grows its stack, forks and unmaps inside a tracked range; an inspector printing the shadow table every tick";

    public override ulong DefaultSeed => 7;

    /// <summary>The booted machine (after Setup), for tests.</summary>
    public Machine? Machine => _machine;

    /// <summary>What the inspector printed.</summary>
    public IReadOnlyList<string> Output => _output;

    /// <summary>The default scenario of the README: 2 CPUs, the spec's target and inspector.</summary>
    public static ShadowPtScenario Default(string name) => new(
        name,
        new MachineConfig { Cpus = 2, Frames = 1024 },
        DefaultTarget(),
        pid => new InspectorSpec { TargetPid = pid, StartVaddr = Tracked.Start.Value, EndVaddr = Tracked.End.Value, PeriodTicks = 1, Ticks = 10 });

    /// <summary>The spec's target program, within the tracked range.</summary>
    public static ProcessProgram DefaultTarget()
    {
        var rw = Prot.Read | Prot.Write;
        return new ProgramBuilder("target", "maps, writes, grows its stack, forks, unmaps and drops pages inside the tracked range")
            .Mmap("heap", 8, rw, MapFlags.Private | MapFlags.Anonymous)
            .Write("heap", 0, 0x41).Think(1)
            .Write("heap", 1, 0x42)
            .Mmap("stack", 2, rw, MapFlags.Private | MapFlags.Anonymous | MapFlags.GrowsDown).Think(1)
            .Write("stack", 1, 0x53)
            .Write("stack", -1, 0x54).Think(1)
            .Write("stack", -2, 0x55)
            .Read("heap", 5)
            .Fork(out ProcessId child).Think(1)
            .Write("heap", 0, 0x43, by: child)
            .Write("heap", 1, 0x44).Think(1)
            .Munmap("heap", 3, 2).Think(1)
            .Exit(child)
            .MadviseDontneed("heap", 0, 1).Think(1)
            .Write("heap", 7, 0x45)
            .Build();
    }

    public override void Setup(ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        ShadowptSyscalls.Install();
        _machine = Actors.Machine.Boot(system, _config, new ShadowHooks());
        int target = _machine.CreateProcess("target");
        int inspectorPid = _machine.CreateProcess("inspector", superuser: _inspector(target).Superuser);
        var placement = new Dictionary<string, VirtAddr>(StringComparer.Ordinal) { ["stack"] = StackAt, ["heap"] = HeapAt };
        Machine machine = _machine;
        ProcessProgram program = _target;
        IActorRef targetActor = system.ActorOf(
            Props.Create(() => new ProcessActor(machine, program, ProcessId.Root, target, 0, new Dictionary<string, VirtAddr>(), placement)), "target");
        InspectorSpec spec = _inspector(target);
        List<string> output = _output;
        int inspectorCpu = _config.Cpus > 1 ? 1 : 0;
        IActorRef inspector = system.ActorOf(Props.Create(() => new InspectorActor(machine, spec, inspectorPid, inspectorCpu, output)), "inspector");
        targetActor.Tell(ProcessActor.Start.Instance, null);
        inspector.Tell(ProcessActor.Start.Instance, null);
        system.AddQuiescentObserver(() => CheckConsistency(system, machine));
    }

    /// <summary>At a quiescent point no kernel path is half done: the table must equal the truth.</summary>
    public static void CheckConsistency(ActorSystem system, Machine machine)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(machine);
        IReadOnlyList<(int Index, ShadowPte Expected, ShadowPte Found)> differences = ShadowTruth.Differences(machine.State);
        if (differences.Count == 0)
        {
            return;
        }

        string report = string.Join("; ", differences.Take(4).Select(d =>
            string.Create(CultureInfo.InvariantCulture, $"entry {d.Index}: expected {Spt.Spt.Describe(d.Expected)}, found {Spt.Spt.Describe(d.Found)}")));
        system.ReportViolation(new Violation("shadow-inconsistent", $"{differences.Count} shadow entries differ from the target's page table: {report}", system.Steps, system.Now));
    }

    public override Violation? CheckEnd(ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        KernelState state = _machine!.State;
        SptState table = state.Extension<SptState>();
        if (table.IsOpen && state.FindTask(table.OpenerPid) is { Exited: true })
        {
            return new Violation("resource-leak", $"the shadow table is still open after its inspector (pid {table.OpenerPid}) exited", system.Steps, system.Now);
        }

        MmStruct? dead = state.Mms.FirstOrDefault(m => m.IsDead && m.Notifiers.Count > 0);
        return dead is null ? null : new Violation("resource-leak", $"{dead.Id} is dead but {dead.Notifiers.Count} mmu_notifier(s) are still registered on it", system.Steps, system.Now);
    }

    public override IEnumerable<string> Describe(ActorSystem system) => _output;
}
