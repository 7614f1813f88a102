using ShadowPt.Kernel;
using ShadowPt.Runtime.Actors;
using ShadowPt.Runtime.Async;

namespace ShadowPt.Actors;

/// <summary>
/// One simulated CPU: runs the user operations and kernel paths of the tasks that ask it, one at a
/// time (the kernel is not preemptible here), owns its TLB, switches between tasks' mms, and takes
/// TLB-flush IPIs between steps, even while its kernel path waits for a lock, unless that path
/// disabled interrupts.
/// </summary>
public sealed class CpuActor : ReceiveActor
{
    /// <summary>The kernel context of this CPU: its TLB, current, held locks.</summary>
    private readonly KernelContext _k;

    public CpuActor(CpuId id, MachineConfig config, IActorRef memory, IReadOnlyList<IActorRef> cpus, KernelHooks hooks, KernelEvents? events = null)
    {
        _k = new KernelContext(Context, memory, cpus, id, config, hooks, events);
        Receive<FlushTlbIpi>(ipi =>
        {
            _k.RaiseIpiTaken(Sender, acking: false);
            _k.FlushLocal(ipi.Mm, ipi.Range, ipi.FullMm, ipi.TlbGen); // flush_tlb_func
            _k.RaiseIpiTaken(Sender, acking: true);
            Sender.Tell(TlbFlushAck.Instance);
        });
        Receive<UserRequest>(request =>
        {
            Bug.On(_runQueue.Count >= RunQueueMax, "run queue overflow");
            _runQueue.Enqueue((request, Sender));
            if (!_running)
            {
                _running = true;
                Cell.AdoptDetached(RunLoop());
            }
            else if (_waiter.IsParked)
            {
                _waiter.Wake(); // the loop runs the request now, as a loop started here would
            }
        });
    }

    /// <summary>Most requests waiting for this CPU (one per task at most).</summary>
    public const int RunQueueMax = MachineConfig.TasksMax;

    /// <summary>
    /// The run queue: requests wait here, in arrival order, while the CPU runs a kernel path. The
    /// mailbox stays open meanwhile, so a waiting request costs nothing when the CPU suspends and resumes.
    /// </summary>
    private readonly Queue<(UserRequest Request, IActorRef ReplyTo)> _runQueue = new();

    /// <summary>Whether <see cref="RunLoop"/> was started (it then runs, suspended or parked, for the CPU's life).</summary>
    private bool _running;

    /// <summary>Where <see cref="RunLoop"/> parks while the run queue is empty.</summary>
    private readonly RunQueueWaiter _waiter = new();

    /// <summary>
    /// Runs queued requests one at a time: the kernel is not preemptible here. Started by the first
    /// request, it parks on <see cref="_waiter"/> whenever the queue is empty and the next request wakes
    /// it. A request's path is the loop's body, and a user access is awaited right here, rather than in
    /// methods of their own: every user access passes through this loop, and each suspended async layer
    /// (and each new loop) would cost a box.
    /// </summary>
    private async ActorTask RunLoop()
    {
        while (true)
        {
            if (!_runQueue.TryDequeue(out (UserRequest Request, IActorRef ReplyTo) next))
            {
                await _waiter; // parked until the next request
                continue;
            }

            (UserRequest request, IActorRef replyTo) = next;
            _k.RaiseUserOpStarted(request.Pid, request.Op);
            if (!await ContextSwitch(request.Pid))
            {
                _k.RaiseUserOpDone(request.Pid, request.Op, UserResult.Dead);
                replyTo.Tell(UserResult.Dead, Self); // an exited task never runs again: no access, no syscall
                continue;
            }

            await NumaBalancing.TaskTickNuma(_k); // a tick of the running task: the NUMA scan when due (Kernel/Numa)
            UserResult result;
            if (request.Op is AccessOp or WordAccessOp && _k.CurrentMm is not null)
            {
                (VirtAddr address, bool write, ulong value, bool isWord) = request.Op is WordAccessOp w
                    ? (w.Address, w.Write, w.Value, true)
                    : (((AccessOp)request.Op).Address, ((AccessOp)request.Op).Write, ((AccessOp)request.Op).Value, false);
                AccessOutcome outcome;
                ulong loaded;
                if (UserAccess.StartTlbHit(_k, _k.Mm, address, write, value, isWord ? 8 : 1) is UserAccess.TlbHitAwaitable hit)
                {
                    // The commonest case, a TLB hit, awaited here: the instruction's first attempt, as ExecuteSized would make it.
                    loaded = await hit;
                    outcome = new AccessOutcome(false, (byte)loaded, false);
                }
                else
                {
                    (outcome, loaded) = await (isWord
                        ? UserAccess.ExecuteWord(_k, address, write, value)
                        : UserAccess.ExecuteByte(_k, address, write, (byte)value));
                }

                result = outcome.Oom || outcome.Segv ? await AccessFailed(outcome, address)
                    : isWord ? UserResult.AccessedWord(loaded) : UserResult.Accessed(outcome.Value);
            }
            else
            {
                result = request.Op switch
                {
                    SyscallOp s => await Syscalls.Run(_k, s.Call),
                    AccessOp or WordAccessOp => new UserResult(0, false, 0, true), // current has no mm: the task is gone
                    SleepOp => await SwitchToIdle(),
                    _ => throw new KernelBugException($"unknown user operation {request.Op}"),
                };
            }

            _k.AssertNoLocksHeld(request.Op); // formats the op only when a lock is left held
            _k.RaiseUserOpDone(request.Pid, request.Op, result);
            replyTo.Tell(result, Self);
        }
    }

    /// <summary>This CPU's kernel context (tests read its TLB at quiescent points).</summary>
    internal KernelContext Kernel => _k;

    /// <summary>A user access that faulted for good: the OOM killer's SIGKILL, or a SIGSEGV.</summary>
    private async ActorTask<UserResult> AccessFailed(AccessOutcome outcome, VirtAddr address)
    {
        if (outcome.Oom)
        {
            await Syscalls.DoExit(_k, 137); // the OOM killer's SIGKILL
            return new UserResult(0, false, 0, true);
        }

        return await Syscalls.ForceSigsegv(_k, address);
    }

    /// <summary>
    /// context_switch → switch_mm_irqs_off: leave the previous mm (clearing this CPU from its
    /// mm_cpumask unless it is the same mm), join the next one's mm_cpumask, and flush its
    /// translations if flushes happened while this CPU was not told (lazy or away). False, with
    /// nothing switched, when the task has exited. A task runs on one CPU at a time: to move to
    /// another CPU it must first sleep (or exit) on the one it ran on.
    /// </summary>
    private async ActorTask<bool> ContextSwitch(int pid)
    {
        if (_k.CurrentPid == pid)
        {
            return true;
        }

        (bool alive, MmId? mm, long gen) = await SwitchMm(pid);
        if (!alive)
        {
            return false;
        }

        _k.CurrentPid = pid;
        _k.CurrentMm = mm;
        if (mm is MmId loaded)
        {
            _k.SyncTlbGen(loaded, gen);
        }

        return true;
    }

    /// <summary>
    /// The memory side of a context switch to <paramref name="pid"/>: (alive, its mm, the mm's tlb_gen).
    /// Its own method so that the lambda's closure is allocated only when the task really changes.
    /// </summary>
    private MemAwaitable<(bool Alive, MmId? Mm, long TlbGen)> SwitchMm(int pid)
    {
        CpuId cpu = _k.Cpu;
        return _k.Mem("context_switch", s =>
        {
            TaskStruct task = s.Task(pid);
            if (task.Exited)
            {
                return (false, (MmId?)null, 0L);
            }

            for (int i = 0; i < s.PerCpu.Count; i++)
            {
                if (s.PerCpu[i].Cpu != cpu && s.PerCpu[i].CurrentPid == pid)
                {
                    throw Bug.Fail($"{task} switched in on {cpu} while it is current on another CPU");
                }
            }

            PerCpuState pcs = s.PerCpu[cpu.Value];
            MmStruct? next = task.Mm;
            if (pcs.LoadedMm is MmId prev && (next is null || prev != next.Id))
            {
                s.FindMm(prev)?.CpumaskClearCpu(cpu);
            }

            pcs.CurrentPid = pid;
            pcs.IsLazy = false;
            pcs.LoadedMm = next?.Id;
            next?.CpumaskSetCpu(cpu);
            return (true, next?.Id, next?.TlbGen ?? 0);
        });
    }

    /// <summary>schedule() to the idle task: enter lazy TLB mode, keeping the mm loaded and in mm_cpumask.</summary>
    private async ActorTask<UserResult> SwitchToIdle()
    {
        // The argument is this CPU's kernel context, read only for its (fixed) CPU number: no closure per sleep.
        await _k.MemWith("enter_lazy_tlb", static (s, k) =>
        {
            PerCpuState pcs = s.PerCpu[((KernelContext)k).Cpu.Value];
            pcs.CurrentPid = 0;
            pcs.IsLazy = pcs.LoadedMm is not null;
            return true;
        }, _k);
        _k.CurrentPid = 0;
        _k.CurrentMm = null;
        return UserResult.Returned(0);
    }
}
