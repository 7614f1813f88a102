using ShadowPt.Runtime.Async;

namespace ShadowPt.Kernel;

/// <summary>
/// userfaultfd(2), its read(2), UFFDIO_API, UFFDIO_REGISTER and UFFDIO_UNREGISTER, and passing the
/// descriptor to another task (sendmsg/recvmsg with SCM_RIGHTS). Registered with <see cref="Install"/>.
/// </summary>
/// <remarks>fs/userfaultfd.c. Every path enters and returns with no lock held.</remarks>
public static partial class UffdSyscalls
{
    /// <summary>Registers the calls; a machine can then use userfaultfd.</summary>
    public static void Install()
    {
        Logged<UserfaultfdCall>("userfaultfd", SysUserfaultfd);
        Logged<UffdioApiCall>("UFFDIO_API", (k, c) => UffdioApi(k, c.Fd, c.Api, c.Features));
        Logged<UffdioRegisterCall>("UFFDIO_REGISTER", UffdioRegister);
        Logged<UffdioUnregisterCall>("UFFDIO_UNREGISTER", UffdioUnregister);
        ExtraSyscalls.Register<UffdReadCall>(UserfaultfdRead); // read() results are in each context's ReadLog
        ExtraSyscalls.Register<UffdReadNonblockCall>(UserfaultfdReadNonblock);
        Logged<UffdioCopyCall>("UFFDIO_COPY", (k, c) => MfillIoctl(k, c.Fd, c.Dst, c.Length, c.Mode, FillMode.Copy, c.Fill, c.Contents));
        Logged<UffdioZeropageCall>("UFFDIO_ZEROPAGE", (k, c) => MfillIoctl(k, c.Fd, c.Start, c.Length, c.Mode, FillMode.Zeropage, 0));
        Logged<UffdioContinueCall>("UFFDIO_CONTINUE", (k, c) => MfillIoctl(k, c.Fd, c.Start, c.Length, c.Mode, FillMode.Continue, 0));
        Logged<UffdioWakeCall>("UFFDIO_WAKE", UffdioWake);
        Logged<UffdioWriteprotectCall>("UFFDIO_WRITEPROTECT", UffdioWriteprotect);
        Logged<UffdSendFdCall>("sendmsg", SendFd);
        Logged<UffdRecvFdCall>("recvmsg", (k, _) => RecvFd(k));
    }

    /// <summary>Registers <paramref name="handler"/> and records each return value in <see cref="UffdState.IoctlLog"/>, for observers and tests.</summary>
    private static void Logged<TCall>(string name, Func<KernelContext, TCall, ActorTask<long>> handler)
        where TCall : Syscall
    {
        ExtraSyscalls.Register<TCall>(async (k, call) =>
        {
            long ret = await handler(k, call);
            int pid = k.CurrentPid;
            await k.Mem("uffd syscall log", s => LogIoctl(s, pid, name, ret));
            return ret;
        });
    }

    private static long Err(Errno e) => Syscalls.Err(e);

    /// <summary>userfaultfd() then UFFDIO_API: a context on the caller's mm and a descriptor for it.</summary>
    private static async ActorTask<long> SysUserfaultfd(KernelContext k, UserfaultfdCall call)
    {
        MmId mm = k.Mm;
        int pid = k.CurrentPid;
        int fd = await k.Mem("userfaultfd", s =>
        {
            UffdState u = s.Extension<UffdState>();
            UserfaultfdCtx ctx = u.NewCtx(mm);
            return u.InstallFd(pid, ctx);
        });
        if (fd < 0)
        {
            return Err(Errno.EMFILE);
        }

        long api = await UffdioApi(k, fd, UffdApi.Api, call.Features);
        return api < 0 ? api : fd;
    }

    /// <summary>UFFDIO_API: once per context, the API version and only supported features.</summary>
    private static async ActorTask<long> UffdioApi(KernelContext k, int fd, ulong api, UffdFeatures features)
    {
        int pid = k.CurrentPid;
        Errno error = await k.Mem("userfaultfd_api", s =>
        {
            UserfaultfdCtx? ctx = s.Extension<UffdState>().FdCtx(pid, fd);
            if (ctx is null)
            {
                return Errno.EBADF;
            }

            if (ctx.ApiDone || api != UffdApi.Api || (features & ~UffdApi.SupportedFeatures) != 0)
            {
                return Errno.EINVAL;
            }

            ctx.Features = features;
            ctx.ApiDone = true;
            return Errno.None;
        });
        return error == Errno.None ? 0 : Err(error);
    }

    /// <summary>validate_range: page aligned, not empty, inside user space.</summary>
    internal static bool ValidRange(VirtAddr start, ulong length) =>
        start.IsPageAligned && length != 0 && length % PageGeometry.PageSize == 0
        && length <= PageGeometry.TaskSizeMax && start.Value <= PageGeometry.TaskSizeMax - length;

    /// <summary>The context of <paramref name="fd"/> ready for ioctls (UFFDIO_API done), or the error.</summary>
    internal static (UserfaultfdCtx? Ctx, Errno Error) ReadyCtx(KernelState s, int pid, int fd)
    {
        UserfaultfdCtx? ctx = s.Extension<UffdState>().FdCtx(pid, fd);
        return ctx is null ? (null, Errno.EBADF) : !ctx.ApiDone ? (null, Errno.EINVAL) : (ctx, Errno.None);
    }

    /// <summary>mmget_not_zero(ctx->mm): the target's address space still has users.</summary>
    internal static bool MmgetNotZero(KernelState s, MmId mm) => s.FindMm(mm) is { IsDead: false, MmUsers: > 0 };

    /// <summary>UFFDIO_REGISTER: mark the VMAs of the range VM_UFFD_*; returns 0 (the ioctls bitmask is not modeled).</summary>
    private static async ActorTask<long> UffdioRegister(KernelContext k, UffdioRegisterCall call)
    {
        int pid = k.CurrentPid;
        UffdRegisterMode known = UffdRegisterMode.Missing | UffdRegisterMode.Wp | UffdRegisterMode.Minor;
        (UserfaultfdCtx? ctx, Errno error) = await k.Mem("userfaultfd_register", s => ReadyCtx(s, pid, call.Fd));
        if (ctx is null)
        {
            return Err(error);
        }

        if (call.Mode == UffdRegisterMode.None || (call.Mode & ~known) != 0 || !ValidRange(call.Start, call.Length))
        {
            return Err(Errno.EINVAL);
        }

        MmId mm = ctx.Mm;
        VmFlags flags = UffdApi.VmFlagsOf(call.Mode);
        return await ChangeRegistration(k, ctx, new AddrRange(call.Start, call.Start + call.Length), "userfaultfd_register_range", (s, range) =>
            UffdRegistration.Register(s.Mm(mm), s.Extension<UffdState>(), ctx, range.Start, range.End, flags));
    }

    /// <summary>UFFDIO_UNREGISTER: clear the registration, then wake the faults waiting in the range.</summary>
    private static async ActorTask<long> UffdioUnregister(KernelContext k, UffdioUnregisterCall call)
    {
        int pid = k.CurrentPid;
        (UserfaultfdCtx? ctx, Errno error) = await k.Mem("userfaultfd_unregister", s => ReadyCtx(s, pid, call.Fd));
        if (ctx is null)
        {
            return Err(error);
        }

        if (!ValidRange(call.Start, call.Length))
        {
            return Err(Errno.EINVAL);
        }

        MmId mm = ctx.Mm;
        return await ChangeRegistration(k, ctx, new AddrRange(call.Start, call.Start + call.Length), "userfaultfd_unregister", (s, range) =>
        {
            Errno e = UffdRegistration.Unregister(s.Mm(mm), s.Extension<UffdState>(), range.Start, range.End);
            if (e == Errno.None)
            {
                WakeUserfault(s, ctx, range); // the faults there retry without the registration
            }

            return e;
        });
    }

    /// <summary>
    /// The part UFFDIO_REGISTER and UFFDIO_UNREGISTER share: mmget_not_zero on the context's mm, then
    /// <paramref name="change"/> of the VMAs over <paramref name="range"/> under mmap_lock for write, and the
    /// VMA hook when it succeeded. Returns the syscall's result.
    /// </summary>
    private static async ActorTask<long> ChangeRegistration(KernelContext k, UserfaultfdCtx ctx, AddrRange range, string what, Func<KernelState, AddrRange, Errno> change)
    {
        MmId mm = ctx.Mm;
        if (!await k.Mem("mmget_not_zero", s => MmgetNotZero(s, mm)))
        {
            return Err(Errno.ESRCH);
        }

        await k.MmapWriteLock(mm);
        Errno error = await k.Mem(what, s => change(s, range));
        if (error == Errno.None)
        {
            await k.VmaHooks.VmaChanged(k, mm, range);
        }

        k.MmapWriteUnlock(mm);
        return error == Errno.None ? 0 : Err(error);
    }

    /// <summary>
    /// read(): the oldest event first (events are read before faults, as userfaultfd_ctx_read does), then
    /// the oldest pending fault, whose waiter moves to fault_wqh; blocks while there is nothing.
    /// Reading a non-fork event completes it (its waiter goes on). A released context reads 0 bytes (EOF).
    /// </summary>
    private static async ActorTask<long> UserfaultfdRead(KernelContext k, UffdReadCall call)
    {
        int pid = k.CurrentPid;
        for (int attempt = 0; attempt <= MachineConfig.TasksMax; attempt++)
        {
            (long ret, bool sleep) = await k.Mem("userfaultfd_ctx_read", s => ReadOne(s, pid, call.Fd));
            if (!sleep)
            {
                return ret;
            }

            await Schedule(k);
        }

        throw new KernelBugException($"{k.Cpu}: read(uffd) woken {MachineConfig.TasksMax} times without a message");
    }

    private static (long Ret, bool Sleep) ReadOne(KernelState s, int pid, int fd)
    {
        UffdState u = s.Extension<UffdState>();
        (UserfaultfdCtx? ctx, Errno error) = ReadyCtx(s, pid, fd);
        if (ctx is null)
        {
            return (Err(error), false);
        }

        UffdQueued? taken = null;
        if (ctx.EventQueue.Count > 0)
        {
            taken = ctx.EventQueue[0];
            ctx.EventQueue.RemoveAt(0);
            if (taken.Msg.Event == UffdEvent.Fork)
            {
                // resolve_userfault_fork: the child's context gets a descriptor in the reader.
                UserfaultfdCtx child = u.Ctx(taken.Msg.Fd);
                int newFd = u.InstallFd(pid, child);
                child.FileRefs--; // the reference the event held is the descriptor's now
                taken = taken with { Msg = taken.Msg with { Fd = newFd } };
            }

            UffdEvents.EventComplete(s, ctx, taken.Pid);
        }
        else if (ctx.FaultPending.Count > 0)
        {
            taken = ctx.FaultPending[0];
            ctx.FaultPending.RemoveAt(0);
            ctx.Fault.Add(taken);
        }

        if (taken is null)
        {
            if (ctx.Released)
            {
                return (0, false);
            }

            if (!ctx.Readers.Contains(pid))
            {
                ctx.Readers.Add(pid);
            }

            return (0, true);
        }

        if (ctx.ReadLog.Count < UffdApi.ReadLogMax)
        {
            ctx.ReadLog.Add(taken.Msg);
        }

        return (taken.Msg.Encode(), false);
    }

    /// <summary>
    /// schedule() until woken: the task sleeps on its own wait entry in the memory actor. The caller put
    /// itself on the wait queue in an earlier memory operation (prepare_to_wait), so a wake-up that comes
    /// before this sleep is not lost. No lock may be held.
    /// </summary>
    internal static async ActorTask Schedule(KernelContext k)
    {
        k.AssertNoLocksHeld("schedule (userfaultfd)");
        int pid = k.CurrentPid;
        await k.Actor.Ask<LockGranted>(k.Memory, new LockRequest(new UffdWaitRef(pid), LockMode.Exclusive, k.Owner));
    }

    /// <summary>
    /// wake_userfault: wake every fault of <paramref name="ctx"/> waiting in <paramref name="range"/>,
    /// read or not; a woken fault's message leaves the queues (the task retries the fault).
    /// </summary>
    internal static int WakeUserfault(KernelState s, UserfaultfdCtx ctx, AddrRange range)
    {
        UffdState u = s.Extension<UffdState>();
        int woken = 0;
        foreach (List<UffdQueued> queue in new[] { ctx.FaultPending, ctx.Fault })
        {
            for (int i = queue.Count - 1; i >= 0; i--)
            {
                if (range.Contains(queue[i].Msg.Address))
                {
                    int pid = queue[i].Pid;
                    queue.RemoveAt(i);
                    u.NoteRunning(pid);
                    u.Wake(s, pid);
                    woken++;
                }
            }
        }

        return woken;
    }

    /// <summary>Wakes every reader blocked in read() on <paramref name="ctx"/> (wake_up_poll on fd_wqh).</summary>
    internal static void WakeReaders(KernelState s, UserfaultfdCtx ctx)
    {
        UffdState u = s.Extension<UffdState>();
        foreach (int reader in ctx.Readers)
        {
            u.Wake(s, reader);
        }

        ctx.Readers.Clear();
    }

    /// <summary>UFFDIO_WAKE.</summary>
    private static async ActorTask<long> UffdioWake(KernelContext k, UffdioWakeCall call)
    {
        int pid = k.CurrentPid;
        Errno error = await k.Mem("userfaultfd_wake", s =>
        {
            (UserfaultfdCtx? ctx, Errno e) = ReadyCtx(s, pid, call.Fd);
            if (ctx is null)
            {
                return e;
            }

            if (!ValidRange(call.Start, call.Length))
            {
                return Errno.EINVAL;
            }

            WakeUserfault(s, ctx, new AddrRange(call.Start, call.Start + call.Length));
            return Errno.None;
        });
        return error == Errno.None ? 0 : Err(error);
    }

    /// <summary>sendmsg with SCM_RIGHTS: the descriptor's context travels to another task (a reference with it).</summary>
    private static async ActorTask<long> SendFd(KernelContext k, UffdSendFdCall call)
    {
        int pid = k.CurrentPid;
        Errno error = await k.Mem("unix_stream_sendmsg (SCM_RIGHTS)", s =>
        {
            UffdState u = s.Extension<UffdState>();
            UserfaultfdCtx? ctx = u.FdCtx(pid, call.Fd);
            if (ctx is null)
            {
                return Errno.EBADF;
            }

            if (s.FindTask(call.ToPid) is not { Exited: false })
            {
                return Errno.ESRCH; // the peer is gone: ECONNREFUSED in Linux
            }

            u.Send(s, call.ToPid, ctx);
            return Errno.None;
        });
        return error == Errno.None ? 0 : Err(error);
    }

    /// <summary>recvmsg with SCM_RIGHTS: blocks until a descriptor arrives, then installs it.</summary>
    private static async ActorTask<long> RecvFd(KernelContext k)
    {
        int pid = k.CurrentPid;
        for (int attempt = 0; attempt <= UffdApi.FdsMax; attempt++)
        {
            int? fd = await k.Mem("unix_stream_recvmsg (SCM_RIGHTS)", s => s.Extension<UffdState>().Receive(pid));
            if (fd is int got)
            {
                return got < 0 ? Err(Errno.EMFILE) : got;
            }

            await Schedule(k);
        }

        throw new KernelBugException($"{k.Cpu}: recvmsg woken {UffdApi.FdsMax} times without a descriptor");
    }
}
