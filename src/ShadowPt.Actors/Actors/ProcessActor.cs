using ShadowPt.Kernel;
using ShadowPt.Kernel.Programs;
using ShadowPt.Runtime.Actors;
using ShadowPt.Runtime.Async;

namespace ShadowPt.Actors;

/// <summary>
/// A user program running as one process: executes its steps in order on its CPU, sleeping for each
/// step's think time (the CPU goes idle meanwhile), and starts a process actor for each child it
/// forks. Addresses of labels come from the kernel (mmap without MAP_FIXED) and are inherited by
/// children. Tells <see cref="ProcessExited"/> to its parent actor when it exits or is killed.
/// </summary>
public sealed class ProcessActor : ReceiveActor
{
    /// <summary>Most steps one process runs (a bound on runaway programs).</summary>
    public const int StepsMax = 1 << 20;

    private readonly Machine _machine;
    private readonly ProcessProgram _program;
    private readonly ProcessId _me;
    private readonly int _pid;
    private readonly int _cpu;

    /// <summary>Address of each label this process knows.</summary>
    private readonly Dictionary<string, VirtAddr> _labels;

    /// <summary>Fixed addresses for labels that must land somewhere known (mapped with MAP_FIXED_NOREPLACE); null: the kernel chooses.</summary>
    private readonly IReadOnlyDictionary<string, VirtAddr>? _placement;

    /// <summary>Whether the process calls exit() after its last step (the root otherwise stays alive, idle).</summary>
    private readonly bool _exitAtEnd;

    /// <summary>Pid of each child this process forked, for steps that name it (/proc/PID/mem).</summary>
    private readonly Dictionary<ProcessId, int> _children = new();

    /// <summary>The program break, once known.</summary>
    private VirtAddr? _brk;

    /// <summary>The userfaultfd descriptors and steps of this process.</summary>
    private readonly UffdProcess _uffd;

    /// <summary>The write trackers' user-space code and data in this process (Kernel/WriteTracking).</summary>
    private readonly WriteTrackProcess _track;

    /// <summary>Most times one access is retried after the SIGSEGV handler returned.</summary>
    public const int SignalRetriesMax = 8;

    public ProcessActor(Machine machine, ProcessProgram program, ProcessId me, int pid, int cpu, IReadOnlyDictionary<string, VirtAddr> labels, IReadOnlyDictionary<string, VirtAddr>? placement = null, bool exitAtEnd = false, IReadOnlyList<int>? uffds = null, IReadOnlyDictionary<ProcessId, int>? peers = null, WriteTrackProcess? track = null)
    {
        _uffd = new UffdProcess(uffds, peers);
        _track = new WriteTrackProcess(machine.UserLogs, program.Name, track);
        _placement = placement;
        _exitAtEnd = exitAtEnd;
        ArgumentNullException.ThrowIfNull(machine);
        ArgumentNullException.ThrowIfNull(program);
        _machine = machine;
        _program = program;
        _me = me;
        _pid = pid;
        _cpu = cpu;
        _labels = new Dictionary<string, VirtAddr>(labels, StringComparer.Ordinal);
        ReceiveAsync<Start>(_ => RunProgram());
        Receive<ProcessExited>(exited => Context.Parent?.Tell(exited, Self));
    }

    private async ActorTask RunProgram()
    {
        await Request(new SyscallOp(new SigsegvHandlerCall(true)));
        int ran = 0;
        foreach (ProgramStep step in _program.Steps.Where(s => s.Process == _me))
        {
            if (++ran > StepsMax)
            {
                throw new InvalidOperationException($"{_me} ran more than {StepsMax} steps");
            }

            if (step.ThinkTicks > 0)
            {
                await Request(new SleepOp());
                await Context.Delay(step.ThinkTicks);
            }

            UserResult result = await Run(step);
            if (result.Killed || step is ExitStep)
            {
                Context.Parent?.Tell(new ProcessExited(_me, _pid), Self);
                return;
            }
        }

        if (_exitAtEnd)
        {
            await Request(new SyscallOp(new ExitCall(0)));
        }

        Context.Parent?.Tell(new ProcessExited(_me, _pid), Self);
    }

    private async ActorTask<UserResult> Run(ProgramStep step)
    {
        if (step is SpinStep spin)
        {
            return await Spin(spin);
        }

        if (step is BrkStep brk)
        {
            _brk ??= new VirtAddr((ulong)(await Request(new SyscallOp(new BrkCall(VirtAddr.Zero)))).Ret);
            long target = (long)_brk.Value.Value + (brk.Pages * (long)PageGeometry.PageSize);
            UserResult moved = await Request(new SyscallOp(new BrkCall(new VirtAddr((ulong)Math.Max(0, target)))));
            _brk = new VirtAddr((ulong)moved.Ret);
            return moved;
        }

        if (step is IUffdStep)
        {
            return await _uffd.Run(step, Request, At);
        }

        if (step is MprotectTrackStep)
        {
            return await _track.StartMprotect(Request);
        }

        if (step is UffdWpMonitorStep monitor)
        {
            return await _track.MonitorUffdWp(monitor.Uffd < _uffd.Fds.Count ? _uffd.Fds[monitor.Uffd] : -1, Request);
        }

        UserOp op = ToUserOp(step);
        UserResult result = op is AccessOp access ? await Access(access) : await Request(op);
        if (step is ExecveStep && result.Ret == 0)
        {
            _labels.Clear();
            _brk = null;
        }

        switch (step)
        {
            case MmapStep m when result.Ret > 0:
                _labels[m.Label] = new VirtAddr((ulong)result.Ret);
                break;
            case ForkStep fork when result.Ret > 0:
                int childPid = (int)result.Ret;
                _children[fork.Child] = childPid;
                int childCpu = fork.Child.Value % _machine.Cpus.Count;
                IReadOnlyDictionary<string, VirtAddr> inherited = _labels;
                IReadOnlyDictionary<string, VirtAddr>? placement = _placement;
                IReadOnlyList<int> uffds = _uffd.Fds.ToArray();
                _uffd.AddPeer(fork.Child, childPid);
                var peers = new Dictionary<ProcessId, int>(_uffd.Peers) { [_me] = _pid };
                WriteTrackProcess track = _track;
                IActorRef child = Context.ActorOf(
                    Props.Create(() => new ProcessActor(_machine, _program, fork.Child, childPid, childCpu, inherited, placement, false, uffds, peers, track)),
                    fork.Child.ToString());
                child.Tell(Start.Instance, Self);
                break;
        }

        return result;
    }

    /// <summary>A hot loop: one write per tick, never sleeping; stops early when the task dies or takes a SIGSEGV.</summary>
    private async ActorTask<UserResult> Spin(SpinStep spin)
    {
        var write = new AccessOp(At(spin.Label, spin.PageOffset), true, spin.Value);
        UserResult result = UserResult.Returned(0);
        for (long tick = 0; tick < spin.Ticks; tick++)
        {
            result = await Access(write);
            if (result.Killed || result.Segv)
            {
                break;
            }

            await Context.Delay(1);
        }

        return result;
    }

    /// <summary>
    /// A user access and its signal delivery: when it raised SIGSEGV and the write tracker's handler is
    /// installed, the handler runs in this task with the siginfo (its system calls go to this task's CPU),
    /// and when it returns the faulting instruction is executed again (rt_sigreturn restarts it). A
    /// handler that declines leaves the SIGSEGV to the program's own catch-all handler, as chained handlers do.
    /// </summary>
    private async ActorTask<UserResult> Access(AccessOp op)
    {
        UserResult result = await Request(op);
        for (int retry = 0; retry < SignalRetriesMax && result is { Segv: true, Killed: false, Siginfo: Siginfo info } && _track.HandlerInstalled; retry++)
        {
            if (!await _track.OnSigsegv(info, Request))
            {
                break;
            }

            result = await Request(op);
        }

        return result;
    }

    private AskAwaitable<UserResult> Request(UserOp op) =>
        Context.Ask<UserResult>(_machine.Cpus[_cpu], new UserRequest(_pid, op));

    private UserOp ToUserOp(ProgramStep step) => step switch
    {
        MmapStep { File: string path } m => new SyscallOp(new MmapFileCall(
            _placement?.TryGetValue(m.Label, out VirtAddr at) == true ? at : VirtAddr.Zero,
            Bytes(m.Pages),
            m.Prot,
            m.Flags | (_placement?.ContainsKey(m.Label) == true ? MapFlags.FixedNoReplace : MapFlags.None),
            path,
            (ulong)m.PgoffPages)),
        MmapStep m when _placement?.TryGetValue(m.Label, out VirtAddr fixedAt) == true =>
            new SyscallOp(new MmapCall(fixedAt, Bytes(m.Pages), m.Prot, m.Flags | MapFlags.FixedNoReplace)),
        MmapStep m => new SyscallOp(new MmapCall(VirtAddr.Zero, Bytes(m.Pages), m.Prot, m.Flags)),
        MunmapStep m => new SyscallOp(new MunmapCall(At(m.Label, m.PageOffset), Bytes(m.Pages))),
        MprotectStep m => new SyscallOp(new MprotectCall(At(m.Label, m.PageOffset), Bytes(m.Pages), m.Prot)),
        MadviseDontneedStep m => new SyscallOp(new MadviseDontneedCall(At(m.Label, m.PageOffset), Bytes(m.Pages))),
        MlockStep m => new SyscallOp(new MlockCall(At(m.Label, m.PageOffset), Bytes(m.Pages), Lock: true)),
        MadvisePageoutStep m => new SyscallOp(new MadvisePageoutCall(null, At(m.Label, m.PageOffset), Bytes(m.Pages))),
        ProcessMadvisePageoutStep m => new SyscallOp(new MadvisePageoutCall(m.Target, new VirtAddr(m.Address), Bytes(m.Pages))),
        ClearRefsStep c => new SyscallOp(new ClearRefsCall(c.Target, SoftDirty.ClearRefsSoftDirty)),
        MlockallStep m => new SyscallOp(new MlockallCall(m.Flags)),
        MunlockStep m => new SyscallOp(new MlockCall(At(m.Label, m.PageOffset), Bytes(m.Pages), Lock: false)),
        ReadStep r => new AccessOp(At(r.Label, r.PageOffset), false, 0),
        WriteStep w => new AccessOp(At(w.Label, w.PageOffset), true, w.Value),
        ForkStep => new SyscallOp(new ForkCall()),
        ExitStep => new SyscallOp(new ExitCall(0)),
        SetMempolicyStep m => new SyscallOp(new SetMempolicyCall(m.Mode, m.Nodes)),
        ExecveStep => new SyscallOp(new ExecveCall(_program.Name)),
        ProcMemWriteStep w => new SyscallOp(new ProcMemWriteCall(
            w.Into is ProcessId child ? _children.GetValueOrDefault(child, -1) : 0, At(w.Label, w.PageOffset), w.Value)),
        _ => throw new NotSupportedException($"step {step.Text} has no simulator form"),
    };

    private VirtAddr At(string label, int pageOffset)
    {
        VirtAddr start = _labels.TryGetValue(label, out VirtAddr a) ? a : throw new InvalidOperationException($"{_me}: label '{label}' is not mapped");
        long address = (long)start.Value + (pageOffset * (long)PageGeometry.PageSize);
        return new VirtAddr((ulong)address);
    }

    private static ulong Bytes(int pages) => (ulong)pages * PageGeometry.PageSize;

    /// <summary>Starts the program.</summary>
    public sealed class Start
    {
        public static Start Instance { get; } = new();
    }
}

/// <summary>A process finished its program (or was killed).</summary>
public sealed record ProcessExited(ProcessId Process, int Pid);
