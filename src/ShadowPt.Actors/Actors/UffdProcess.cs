using ShadowPt.Kernel;
using ShadowPt.Kernel.Programs;
using ShadowPt.Runtime.Actors;
using ShadowPt.Runtime.Async;

namespace ShadowPt.Actors;

/// <summary>
/// The userfaultfd side of a process actor: the descriptors it holds (in the order it got them) and
/// the user-space code of the userfaultfd steps, each system call one request to the CPU, so a
/// monitor's read, copy and wake interleave with everything else.
/// </summary>
internal sealed class UffdProcess
{
    /// <summary>Descriptors in the order the process got them.</summary>
    private readonly List<int> _fds;

    /// <summary>Pids of the processes this one may send a descriptor to: its children, its parent and the parent's other children.</summary>
    private readonly Dictionary<ProcessId, int> _peers;

    public UffdProcess(IReadOnlyList<int>? inherited, IReadOnlyDictionary<ProcessId, int>? peers)
    {
        _fds = inherited is null ? new List<int>() : new List<int>(inherited);
        _peers = peers is null ? new Dictionary<ProcessId, int>() : new Dictionary<ProcessId, int>(peers);
    }

    /// <summary>The pids of the other processes this one knows, for a child to inherit.</summary>
    public IReadOnlyDictionary<ProcessId, int> Peers => _peers;

    /// <summary>A child was forked: it becomes a peer.</summary>
    public void AddPeer(ProcessId process, int pid) => _peers[process] = pid;

    /// <summary>The descriptors, for a child to inherit at fork.</summary>
    public IReadOnlyList<int> Fds => _fds;

    /// <summary>Runs one userfaultfd step; <paramref name="request"/> sends one user operation to the CPU.</summary>
    public async ActorTask<UserResult> Run(
        ProgramStep step,
        Func<UserOp, AskAwaitable<UserResult>> request,
        Func<string, int, VirtAddr> at)
    {
        if (step is UserfaultfdStep create)
        {
            UserResult made = await request(new SyscallOp(new UserfaultfdCall(create.Features)));
            if (made.Ret > 0 && _fds.Count < UffdApi.FdsMax)
            {
                _fds.Add((int)made.Ret);
            }

            return made;
        }

        if (step is UffdRecvStep)
        {
            UserResult got = await request(new SyscallOp(new UffdRecvFdCall()));
            if (got.Ret > 0 && _fds.Count < UffdApi.FdsMax)
            {
                _fds.Add((int)got.Ret);
            }

            return got;
        }

        int uffd = ((IUffdStep)step).Uffd;
        int fd = uffd < _fds.Count ? _fds[uffd] : -1; // -EBADF from the kernel for a descriptor it never got
        ulong page = PageGeometry.PageSize;
        return step switch
        {
            UffdSendStep send => await request(new SyscallOp(new UffdSendFdCall(fd, _peers.TryGetValue(send.To, out int to) ? to : 0))),
            UffdServeStep serve => await Serve(serve, fd, request),
            UffdRegisterStep r => await request(new SyscallOp(new UffdioRegisterCall(fd, at(r.Label, r.PageOffset), (ulong)r.Pages * page, r.Mode))),
            UffdUnregisterStep r => await request(new SyscallOp(new UffdioUnregisterCall(fd, at(r.Label, r.PageOffset), (ulong)r.Pages * page))),
            UffdCopyStep c => await request(new SyscallOp(new UffdioCopyCall(fd, at(c.Label, c.PageOffset), (ulong)c.Pages * page, c.Fill, c.DontWake ? UffdApi.CopyModeDontwake : 0))),
            UffdZeropageStep z => await request(new SyscallOp(new UffdioZeropageCall(fd, at(z.Label, z.PageOffset), (ulong)z.Pages * page, 0))),
            UffdContinueStep c => await request(new SyscallOp(new UffdioContinueCall(fd, at(c.Label, c.PageOffset), (ulong)c.Pages * page, 0))),
            UffdWakeStep w => await request(new SyscallOp(new UffdioWakeCall(fd, at(w.Label, w.PageOffset), (ulong)w.Pages * page))),
            UffdWriteprotectStep w => await request(new SyscallOp(new UffdioWriteprotectCall(
                fd, at(w.Label, w.PageOffset), (ulong)w.Pages * page, w.Enable ? UffdApi.WriteprotectModeWp : 0))),
            _ => throw new NotSupportedException($"step {step.Text} has no simulator form"),
        };
    }

    /// <summary>The monitor loop of <see cref="UffdServeStep"/>; returns the number of messages handled.</summary>
    private async ActorTask<UserResult> Serve(UffdServeStep serve, int fd, Func<UserOp, AskAwaitable<UserResult>> request)
    {
        int handled = 0;
        for (int i = 0; i < serve.Count; i++)
        {
            UserResult read = await request(new SyscallOp(new UffdReadCall(fd)));
            if (read.Killed || read.Ret <= 0)
            {
                return read.Killed ? read : UserResult.Returned(handled); // EOF (released) or an error
            }

            handled++;
            UffdMsg msg = UffdMsg.Decode(read.Ret);
            if (msg.Event == UffdEvent.Fork && _fds.Count < UffdApi.FdsMax)
            {
                _fds.Add(msg.Fd);
            }

            if (msg.Event != UffdEvent.Pagefault || serve.Resolve == UffdResolve.None)
            {
                continue;
            }

            UserResult resolved = await Resolve(serve, fd, msg, request);
            if (resolved.Killed)
            {
                return resolved;
            }
        }

        return UserResult.Returned(handled);
    }

    private static async ActorTask<UserResult> Resolve(UffdServeStep serve, int fd, UffdMsg msg, Func<UserOp, AskAwaitable<UserResult>> request)
    {
        ulong page = PageGeometry.PageSize;
        UffdResolve how = serve.Resolve != UffdResolve.Auto ? serve.Resolve
            : (msg.Flags & UffdPagefaultFlags.Wp) != 0 ? UffdResolve.Writeprotect
            : (msg.Flags & UffdPagefaultFlags.Minor) != 0 ? UffdResolve.Continue
            : UffdResolve.Copy;
        int mode = serve.DontWake ? UffdApi.CopyModeDontwake : 0;
        Syscall call = how switch
        {
            UffdResolve.Copy => new UffdioCopyCall(fd, msg.Address, page, serve.Fill, mode),
            UffdResolve.Zeropage => new UffdioZeropageCall(fd, msg.Address, page, mode),
            UffdResolve.Continue => new UffdioContinueCall(fd, msg.Address, page, mode),
            _ => new UffdioWriteprotectCall(fd, msg.Address, page, serve.DontWake ? UffdApi.WriteprotectModeDontwake : 0),
        };
        UserResult result = await request(new SyscallOp(call));
        bool failed = result.Ret == Syscalls.Err(Errno.EEXIST) || result.Ret == Syscalls.Err(Errno.EAGAIN) || result.Ret == Syscalls.Err(Errno.ENOENT);
        if (!result.Killed && (serve.DontWake || failed))
        {
            return await request(new SyscallOp(new UffdioWakeCall(fd, msg.Address, page)));
        }

        return result;
    }
}
