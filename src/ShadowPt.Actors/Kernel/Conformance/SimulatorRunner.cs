using ShadowPt.Actors;
using ShadowPt.Kernel.Programs;
using ShadowPt.Runtime;
using ShadowPt.Runtime.Actors;
using ShadowPt.Runtime.Async;
using ShadowPt.Runtime.Strategies;

namespace ShadowPt.Kernel.Conformance;

/// <summary>
/// Runs a process program in the simulator and records the same observations the native runner
/// records on Linux, after every step, through the same <see cref="ObservationRecorder"/>.
/// Steps run one at a time in program order (as the native processes pass a turn token); the CPUs
/// and the memory actor still interleave inside each step under the seeded strategy.
/// </summary>
public sealed class SimulatorRunner(int cpus = 2, ulong seed = 1) : IProgramRunner
{
    /// <summary>Where the simulated program's label slots start (the native one asks the kernel).</summary>
    public const long ArenaAddress = 0x7f0000000000;

    /// <summary>Deliveries one program may take.</summary>
    public const long StepsMax = 2_000_000;

    public string Source => "simulator";

    public ProgramObservations Run(ProcessProgram program)
    {
        ArgumentNullException.ThrowIfNull(program);
        using ActorSystem system = ActorSystem.CreateDeterministic("conformance", new RandomStrategy(seed), new RuntimeLimits { StepsMax = StepsMax });
        Machine machine = Machine.Boot(system, new MachineConfig { Cpus = cpus, Frames = 4096 });
        int root = machine.CreateProcess(program.Name);
        var recorder = new ObservationRecorder(program, Source);
        IActorRef driver = system.ActorOf(Props.Create(() => new ProgramDriver(machine, program, root, recorder)), "driver");
        Task<bool> done = system.Ask<bool>(driver, ProgramDriver.Start.Instance);
        system.Run();
        if (system.Violation is { } violation)
        {
            throw new InvalidOperationException($"program '{program.Name}' ended with {violation.Kind} at step {violation.Step}: {violation.Message}");
        }

        if (!done.IsCompleted)
        {
            throw new InvalidOperationException($"program '{program.Name}' did not finish in the simulator (stuck after {system.Steps} deliveries)");
        }

        return recorder.Build();
    }

    /// <summary>Runs the steps in order, each on its process's CPU, and observes every live process after each.</summary>
    private sealed class ProgramDriver : ReceiveActor
    {
        private readonly Machine _machine;
        private readonly ProcessProgram _program;
        private readonly ObservationRecorder _recorder;

        /// <summary>Pid of each program process.</summary>
        private readonly Dictionary<ProcessId, int> _pids = new();

        public ProgramDriver(Machine machine, ProcessProgram program, int rootPid, ObservationRecorder recorder)
        {
            _machine = machine;
            _program = program;
            _recorder = recorder;
            _pids[ProcessId.Root] = rootPid;
            ReceiveAsync<Start>(async _ =>
            {
                // Like the native runtime, the program catches SIGSEGV and carries on.
                await Context.Ask<UserResult>(_machine.Cpus[0], new UserRequest(rootPid, new SyscallOp(new SigsegvHandlerCall(true))));
                for (int i = 0; i < _program.Steps.Length; i++)
                {
                    StepOutcome? outcome = await RunStep(_program.Steps[i]);
                    await Observe(i, outcome);
                }

                Sender.Tell(true);
            });
        }

        private async ActorTask<StepOutcome?> RunStep(ProgramStep step)
        {
            int pid = _pids[step.Process];
            IActorRef cpu = _machine.Cpus[step.Process.Value % _machine.Cpus.Count];
            long faultsBefore = await MinFlt(pid);
            UserOp op = ToUserOp(step);
            UserResult result = await Context.Ask<UserResult>(cpu, new UserRequest(pid, op));
            switch (step)
            {
                case ForkStep fork:
                    _pids[fork.Child] = (int)result.Ret;
                    return new StepOutcome(null, false, null, 0);
                case ExitStep:
                    return null;
            }

            long faults = await MinFlt(pid) - faultsBefore;
            int errno = result.Ret < 0 && result.Ret > -4096 ? (int)-result.Ret : 0;
            byte? value = step is ReadStep && !result.Segv ? result.Value : null;
            return new StepOutcome((int)faults, result.Segv, value, errno);
        }

        private UserOp ToUserOp(ProgramStep step)
        {
            switch (step)
            {
                case MmapStep m:
                    return new SyscallOp(new MmapCall(LabelAddress(m.Label, 0), Bytes(m.Pages), m.Prot, m.Flags | MapFlags.FixedNoReplace));
                case MunmapStep m:
                    return new SyscallOp(new MunmapCall(LabelAddress(m.Label, m.PageOffset), Bytes(m.Pages)));
                case MprotectStep m:
                    return new SyscallOp(new MprotectCall(LabelAddress(m.Label, m.PageOffset), Bytes(m.Pages), m.Prot));
                case MadviseDontneedStep m:
                    return new SyscallOp(new MadviseDontneedCall(LabelAddress(m.Label, m.PageOffset), Bytes(m.Pages)));
                case MlockStep m:
                    return new SyscallOp(new MlockCall(LabelAddress(m.Label, m.PageOffset), Bytes(m.Pages), Lock: true));
                case MunlockStep m:
                    return new SyscallOp(new MlockCall(LabelAddress(m.Label, m.PageOffset), Bytes(m.Pages), Lock: false));
                case MadvisePageoutStep m:
                    return new SyscallOp(new MadvisePageoutCall(null, LabelAddress(m.Label, m.PageOffset), Bytes(m.Pages)));
                case ClearRefsStep { Target: null }:
                    return new SyscallOp(new ClearRefsCall(null, SoftDirty.ClearRefsSoftDirty));
                case ReadStep r:
                    return new AccessOp(LabelAddress(r.Label, r.PageOffset), false, 0);
                case WriteStep w:
                    return new AccessOp(LabelAddress(w.Label, w.PageOffset), true, w.Value);
                case ForkStep:
                    return new SyscallOp(new ForkCall());
                case ExitStep:
                    return new SyscallOp(new ExitCall(0));
                default:
                    throw new NotSupportedException($"step {step.Text} has no simulator form");
            }
        }

        private VirtAddr LabelAddress(string label, int pageOffset) =>
            new((ulong)(LabelLayout.LabelAddress(ArenaAddress, _program.LabelIndex(label)) + (pageOffset * LabelLayout.PageBytes)));

        private static ulong Bytes(int pages) => (ulong)pages * (ulong)LabelLayout.PageBytes;

        private async ActorTask<long> MinFlt(int pid) =>
            await Context.Ask<MemReply>(_machine.Memory, new MemOp<long>("getrusage", s => s.FindTask(pid)?.Mm?.MinFlt ?? 0)) is { Value: long n } ? n : 0;

        /// <summary>Every live process's VMAs and pagemap entries over its labels, read in one atomic step.</summary>
        private async ActorTask Observe(int stepIndex, StepOutcome? outcome)
        {
            ProgramStep step = _program.Steps[stepIndex];
            var facts = new List<(ProcessId Process, ImmutableLabels Labels)>();
            foreach (ProcessId process in _program.LiveAfter(stepIndex))
            {
                int pid = _pids[process];
                string[] labels = [.. _program.LabelsObservedBy(stepIndex, process)];
                ImmutableLabels seen = (await Context.Ask<MemReply>(_machine.Memory, new MemOp<ImmutableLabels>("observe", s => Read(s, pid, labels)))).Value as ImmutableLabels
                    ?? throw new InvalidOperationException("observation failed");
                facts.Add((process, seen));
            }

            foreach ((ProcessId process, ImmutableLabels seen) in facts)
            {
                _recorder.BeginObservation(stepIndex, process, step.Process == process ? outcome : null);
                foreach ((string label, long start, long end, string perms) in seen.Vmas)
                {
                    _recorder.AddVma(label, start, end, perms);
                }

                foreach ((string label, long offset, bool present, bool exclusive, ulong frame) in seen.Pages)
                {
                    _recorder.AddPage(label, offset, present, exclusive, frame);
                }
            }
        }

        /// <summary>The facts of one process over its labels (what /proc/self/maps and /proc/self/pagemap show).</summary>
        private ImmutableLabels Read(KernelState s, int pid, string[] labels)
        {
            MmStruct mm = s.Task(pid).Mm ?? throw new InvalidOperationException($"pid {pid} has no mm to observe");
            var result = new ImmutableLabels();
            foreach (string label in labels)
            {
                long labelAddr = LabelLayout.LabelAddress(ArenaAddress, _program.LabelIndex(label));
                PageRange observed = _program.ObservedPages(label);
                var lo = new VirtAddr((ulong)(labelAddr + (observed.Low * LabelLayout.PageBytes)));
                var hi = new VirtAddr((ulong)(labelAddr + (observed.High * LabelLayout.PageBytes)));
                foreach (VmArea vma in mm.Vmas.All.Where(v => v.VmStart < hi && v.VmEnd > lo))
                {
                    long start = ((long)vma.VmStart.Value - labelAddr) / LabelLayout.PageBytes;
                    long end = ((long)vma.VmEnd.Value - labelAddr) / LabelLayout.PageBytes;
                    result.Vmas.Add((label, start, end, Perms(vma)));
                }

                for (long offset = observed.Low; offset < observed.High; offset++)
                {
                    var addr = new VirtAddr((ulong)(labelAddr + (offset * LabelLayout.PageBytes)));
                    ulong entry = Pagemap.Read(mm, s.Frames, addr, 1)[0];
                    bool present = (entry & Pagemap.Present) != 0;
                    ulong frame = present ? (entry & Pagemap.PfnMask) : 0;
                    result.Pages.Add((label, offset, present, (entry & Pagemap.MmapExclusive) != 0, frame));
                }
            }

            return result;
        }

        private static string Perms(VmArea vma) => string.Concat(
            (vma.VmFlags & VmFlags.Read) != 0 ? "r" : "-",
            (vma.VmFlags & VmFlags.Write) != 0 ? "w" : "-",
            (vma.VmFlags & VmFlags.Exec) != 0 ? "x" : "-",
            (vma.VmFlags & VmFlags.MayShare) != 0 ? "s" : "p");

        /// <summary>Starts the program.</summary>
        public sealed class Start
        {
            public static Start Instance { get; } = new();
        }
    }

    /// <summary>The raw facts of one process's labels.</summary>
    private sealed class ImmutableLabels
    {
        public List<(string Label, long Start, long End, string Perms)> Vmas { get; } = new();

        public List<(string Label, long Offset, bool Present, bool Exclusive, ulong Frame)> Pages { get; } = new();
    }
}
