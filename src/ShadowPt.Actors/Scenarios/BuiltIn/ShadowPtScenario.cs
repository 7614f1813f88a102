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
public sealed class ShadowPtScenario : Scenario, IMachineScenario
{
    /// <summary>Where the target's stack-like grows-down mapping starts (it grows below).</summary>
    public static readonly VirtAddr StackAt = new(0x10000000);

    /// <summary>Where the target's heap-like mapping starts, right above the stack mapping.</summary>
    public static readonly VirtAddr HeapAt = new(0x10002000);

    /// <summary>The tracked range: two pages of stack growth, the stack, the heap, and two spare pages.</summary>
    public static readonly AddrRange Tracked = new(new VirtAddr(0x0fffe000), new VirtAddr(0x1000c000));

    /// <summary>Lines the inspectors printed, in order.</summary>
    private readonly List<string> _output = new();

    private ScenarioDefinition _definition;
    private Machine? _machine;

    /// <summary>One target running <paramref name="target"/> on CPU 0 and one inspector on CPU 1 (or 0).</summary>
    public ShadowPtScenario(string name, MachineConfig config, ProcessProgram target, Func<int, InspectorSpec> inspector)
        : this(FromSpec(name, config, target, inspector))
    {
    }

    public ShadowPtScenario(ScenarioDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        _definition = definition;
    }

    public override string Name => _definition.Name;

    public override string Reference => _definition.SourcePath ?? _definition.Name;

    public override string Summary => _definition.Description;

    public override ulong DefaultSeed => _definition.Seed;

    public override string? DefaultStrategy => _definition.Strategy;

    public override long? DefaultStepsMax => _definition.StepsMax;

    public override string? ContentHash => _definition.ContentHash;

    public ScenarioDefinition Definition => _definition;

    /// <summary>
    /// The memory actor and the CPU actors share state outside messages: the CPUs raise kernel events
    /// synchronously into the checkers (lockdep, races, TLB coherence, monitors), whose state the memory
    /// actor's operations feed too, and the memory actor's operations read the calling CPU's path through
    /// <c>KernelState.CurrentOp</c>; so they form one group ("kernel"), all mutually dependent. Inspectors
    /// append to one output list ("inspector-output"). Processes share nothing: each talks to its CPU by messages.
    /// </summary>
    public override string? SharedStateGroup(string actorPath)
    {
        ArgumentNullException.ThrowIfNull(actorPath);
        if (actorPath == "/user/mm" || actorPath.StartsWith("/user/cpu", StringComparison.Ordinal))
        {
            return "kernel";
        }

        return _definition.Inspectors.Any(i => actorPath == "/user/" + i.Name) ? "inspector-output" : null;
    }

    public override IReadOnlySet<string> Checks => _definition.Checks;

    public override void SelectChecks(IReadOnlySet<string> checks)
    {
        ArgumentNullException.ThrowIfNull(checks);
        string? unknown = checks.FirstOrDefault(c => !ScenarioDefinition.CheckNames.Contains(c));
        if (unknown is not null)
        {
            throw new ArgumentException($"unknown check '{unknown}' (checks: {string.Join(", ", ScenarioDefinition.CheckNames)})", nameof(checks));
        }

        _definition = _definition with { Checks = new HashSet<string>(checks, StringComparer.Ordinal) };
    }

    /// <summary>The spec monitors of the run (after Setup, with check <c>monitors</c>): scenario code may announce events to them.</summary>
    public Checking.SpecMonitors? Monitors { get; private set; }

    /// <summary>The race detector of the run (after Setup, with check <c>races</c>).</summary>
    public Checking.RaceDetector? Races { get; private set; }

    /// <summary>The booted machine (after Setup), for tests.</summary>
    public Machine? Machine => _machine;

    /// <summary>What the inspectors printed.</summary>
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
        UffdSyscalls.Install();
        Machine machine = Actors.Machine.Boot(system, _definition.Machine, new ShadowHooks());
        _machine = machine;
        Checking.MachineCheckers.Attach(system, machine, _definition.Checks);

        foreach (FileDefinition f in _definition.Files)
        {
            machine.State.CreateFile(f.Path, f.Pages, f.Fill, f.Writable);
        }

        Races = _definition.Checks.Contains("races") ? new Checking.RaceDetector(system, machine.State, machine.Events) : null;
        Monitors = _definition.Checks.Contains("monitors") ? StartMonitors(system, machine) : null;

        var pids = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (ProcessDefinition p in _definition.Processes)
        {
            pids[p.Name] = machine.CreateProcess(p.Name, p.Superuser);
        }

        var inspectorPids = _definition.Inspectors.Select(i => machine.CreateProcess(i.Name, i.Superuser)).ToArray();
        foreach (ProcessDefinition p in _definition.Processes)
        {
            int pid = pids[p.Name];
            IActorRef actor = system.ActorOf(
                Props.Create(() => new ProcessActor(machine, p.Program, ProcessId.Root, pid, p.Cpu, new Dictionary<string, VirtAddr>(), p.Placement, p.ExitAtEnd)), p.Name);
            actor.Tell(ProcessActor.Start.Instance, null);
        }

        List<string> output = _output;
        for (int i = 0; i < _definition.Inspectors.Count; i++)
        {
            InspectorDefinition d = _definition.Inspectors[i];
            var spec = new InspectorSpec
            {
                TargetPid = pids[d.Target], StartVaddr = d.StartVaddr, EndVaddr = d.EndVaddr, PeriodTicks = d.PeriodTicks,
                Ticks = d.Ticks, Ending = d.Ending, ExitAfterOperations = d.ExitAfterOperations, Superuser = d.Superuser,
            };
            int pid = inspectorPids[i];
            IActorRef inspector = system.ActorOf(Props.Create(() => new InspectorActor(machine, spec, pid, d.Cpu, output)), d.Name);
            inspector.Tell(ProcessActor.Start.Instance, null);
        }

        if (_definition.Checks.Contains("shadow-consistency"))
        {
            system.AddQuiescentObserver(() => CheckConsistency(system, machine));
        }

        if (_definition.Checks.Contains(Checking.FileIntegrityChecker.CheckName) && system.IsDeterministic)
        {
            system.AddQuiescentObserver(() =>
            {
                if (Checking.FileIntegrityChecker.CheckNow(system, machine.State) is Violation v)
                {
                    system.ReportViolation(v);
                }
            });
        }
    }

    /// <summary>The built-in monitors and the scenario's own, watching the kernel events and every quiescent point.</summary>
    private Checking.SpecMonitors StartMonitors(ActorSystem system, Machine machine)
    {
        IEnumerable<Checking.SpecMonitor> monitors = [new Checking.ShadowTableReleasedMonitor(), new Checking.TlbShootdownMonitor(), new Checking.SoftDirtyMonitor(), .. _definition.Monitors.Select(make => make())];
        var hub = new Checking.SpecMonitors(system, machine.Events, monitors);
        system.AddQuiescentObserver(() => hub.AtQuiescentPoint(machine.State));
        return hub;
    }

    /// <summary>The definition behind the (name, config, target, inspector) constructor.</summary>
    private static ScenarioDefinition FromSpec(string name, MachineConfig config, ProcessProgram target, Func<int, InspectorSpec> inspector)
    {
        InspectorSpec spec = inspector(1);
        var placement = new Dictionary<string, VirtAddr>(StringComparer.Ordinal) { ["stack"] = StackAt, ["heap"] = HeapAt };
        return new ScenarioDefinition
        {
            Name = name,
            Description = $"{config.Cpus} CPUs: a target that maps, writes, grows its stack, forks and unmaps inside a tracked range; an inspector printing the shadow table every tick",
            Seed = 7,
            Machine = config,
            Processes = [new ProcessDefinition("target", 0, false, target, placement, false)],
            Inspectors = [new InspectorDefinition("inspector", config.Cpus > 1 ? 1 : 0, "target", spec.StartVaddr, spec.EndVaddr, spec.PeriodTicks, spec.Ticks, spec.Ending, spec.ExitAfterOperations, spec.Superuser)],
        };
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
        Violation? files = _definition.Checks.Contains(Checking.FileIntegrityChecker.CheckName) ? Checking.FileIntegrityChecker.CheckNow(system, _machine!.State) : null;
        return files ?? (_definition.Checks.Contains("resources") ? CheckResources(system) : null) ?? Monitors?.AtEnd(); // resources first: the more specific report
    }

    /// <summary>The resource checks at the end of the run.</summary>
    private Violation? CheckResources(ActorSystem system) => Checking.ResourceChecker.CheckEnd(system, _machine!.State);

    /// <remarks>Without policy lines this is the output list itself, not a copy: the runner copies it once into the report.</remarks>
    public override IEnumerable<string> Describe(ActorSystem system) =>
        _machine is null || !PolicyReport.HasLines(_machine.State) ? _output : [.. _output, .. PolicyReport.Lines(_machine.State)];
}
