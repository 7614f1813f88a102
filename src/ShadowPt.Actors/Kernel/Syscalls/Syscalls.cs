using ShadowPt.Runtime.Async;

namespace ShadowPt.Kernel;

/// <summary>The system-call table: runs one call as the current task on this CPU.</summary>
public static partial class Syscalls
{
    /// <summary>Largest length a memory syscall accepts (TASK_SIZE).</summary>
    public const ulong LengthMax = PageGeometry.TaskSizeMax;

    /// <summary>Dispatches <paramref name="call"/>; enters and returns with no lock held.</summary>
    public static async ActorTask<UserResult> Run(KernelContext k, Syscall call)
    {
        ArgumentNullException.ThrowIfNull(k);
        ArgumentNullException.ThrowIfNull(call);
        if (k.CurrentMm is null && call is not ExitCall)
        {
            return UserResult.Returned(Err(Errno.ESRCH));
        }

        if (call is ProcMapsReadCall)
        {
            return await ProcMapsRead(k);
        }

        long ret = call switch
        {
            MmapCall c => await SysMmap(k, c),
            MmapFileCall c => await SysMmapFile(k, c),
            MunmapCall c => await SysMunmap(k, c.Addr, c.Length),
            MprotectCall c => await SysMprotect(k, c),
            BrkCall c => await SysBrk(k, c.Addr),
            MadviseDontneedCall c => await SysMadviseDontneed(k, c.Addr, c.Length),
            MlockCall c => await SysMlock(k, c),
            MlockallCall c => await SysMlockall(k, c.Flags),
            MadvisePageoutCall c => await Pageout.SysMadvisePageout(k, c),
            ClearRefsCall c => await SwapSyscalls.SysClearRefs(k, c),
            ForkCall => await SysFork(k),
            ExecveCall c => await SysExecve(k, c.Comm),
            SigsegvHandlerCall c => await SysSigaction(k, c.Install),
            SetMempolicyCall c => await SysSetMempolicy(k, c),
            ExitCall c => await DoExit(k, c.Code),
            ProcMemWriteCall c => await GetUserPages.AccessRemoteVmWrite(k, c.Pid == 0 ? k.CurrentPid : c.Pid, c.Addr, c.Value),
            _ => await ExtraSyscalls.Run(k, call),
        };
        return call is ExitCall ? new UserResult(ret, false, 0, true) : UserResult.Returned(ret);
    }

    /// <summary>-errno as a syscall's return value.</summary>
    public static long Err(Errno errno) => -(long)errno;

    /// <summary>
    /// force_sig_fault(SIGSEGV, si_code, address) after a failed user fault at <paramref name="address"/>:
    /// the si_code is the one do_user_addr_fault chose. A task with a handler gets the siginfo (its handler
    /// runs in user space, then the instruction is retried); otherwise the task dies (exit code 139).
    /// </summary>
    /// <remarks>arch/x86/mm/fault.c __bad_area_nosemaphore; kernel/signal.c force_sig_fault.</remarks>
    public static ActorTask<UserResult> ForceSigsegv(KernelContext k, VirtAddr address)
    {
        ArgumentNullException.ThrowIfNull(k);
        Bug.On(k.FaultSiCode == SegvCode.None, "SIGSEGV without a failed fault");
        return ForceSigFault(k, new Siginfo(Siginfo.Sigsegv, k.FaultSiCode, address));
    }

    private static async ActorTask<UserResult> ForceSigFault(KernelContext k, Siginfo info)
    {
        int pid = k.CurrentPid;
        bool handled = await k.Mem("force_sig_fault", s =>
        {
            TaskStruct task = s.Task(pid);
            task.SigsegvCount++;
            task.LastSiginfo = info;
            return task.HasSigsegvHandler;
        });
        if (handled)
        {
            return new UserResult(0, true, 0, false) { Siginfo = info };
        }

        await DoExit(k, 128 + 11);
        return new UserResult(0, true, 0, true);
    }

    private static async ActorTask<long> SysSigaction(KernelContext k, bool install)
    {
        int pid = k.CurrentPid;
        await k.Mem("rt_sigaction", s => s.Task(pid).HasSigsegvHandler = install);
        return 0;
    }
}

/// <summary>
/// System calls added by subsystems (the shadow page table's 462–466): each registers a handler for
/// its call types. Unknown calls answer -ENOSYS.
/// </summary>
public static class ExtraSyscalls
{
    /// <summary>-ENOSYS.</summary>
    public const long Enosys = -38;

    /// <summary>Registered handlers by call type.</summary>
    private static readonly Dictionary<Type, Func<KernelContext, Syscall, ActorTask<long>>> Handlers = new();

    /// <summary>Guards <see cref="Handlers"/>.</summary>
    private static readonly Lock Sync = new();

    public static void Register<TCall>(Func<KernelContext, TCall, ActorTask<long>> handler)
        where TCall : Syscall
    {
        ArgumentNullException.ThrowIfNull(handler);
        lock (Sync)
        {
            Handlers[typeof(TCall)] = (k, c) => handler(k, (TCall)c);
        }
    }

    public static ActorTask<long> Run(KernelContext k, Syscall call)
    {
        Func<KernelContext, Syscall, ActorTask<long>>? handler;
        lock (Sync)
        {
            Handlers.TryGetValue(call.GetType(), out handler);
        }

        return handler is null ? new ActorTask<long>(Enosys) : handler(k, call);
    }
}
