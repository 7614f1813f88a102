using ShadowPt.Kernel;
using ShadowPt.Kernel.WriteTracking;
using ShadowPt.Runtime.Actors;
using ShadowPt.Runtime.Async;

namespace ShadowPt.Actors;

/// <summary>
/// The user-space code of the write trackers in a process actor: the mprotect tracker's setup and its
/// SIGSEGV handler (which runs in the task that faulted, its system calls requests to the task's CPU),
/// and the userfaultfd WP monitor loop. What they see written goes to the machine's <see cref="UserPageLog"/>.
/// </summary>
public sealed class WriteTrackProcess
{
    /// <summary>Most writable mappings the mprotect tracker protects.</summary>
    public const int TrackedRangesMax = 256;

    /// <summary>Most messages the WP monitor reads before it gives up.</summary>
    public const int MonitorMessagesMax = 1 << 14;

    /// <summary>Where recorded pages go.</summary>
    private readonly UserPageLog _log;

    /// <summary>The tracker's key in the log (the program's name).</summary>
    private readonly string _key;

    /// <summary>The mappings the mprotect tracker protected, with the protection each had.</summary>
    private readonly List<(AddrRange Range, Prot Prot)> _tracked;

    public WriteTrackProcess(UserPageLog log, string key, WriteTrackProcess? parent = null)
    {
        ArgumentNullException.ThrowIfNull(log);
        _log = log;
        _key = key;
        _tracked = parent is null ? new() : new(parent._tracked); // fork copies the handler's data with the address space
        HandlerInstalled = parent?.HandlerInstalled ?? false;
    }

    /// <summary>Whether the tracker's SIGSEGV handler is installed (fork keeps it).</summary>
    public bool HandlerInstalled { get; private set; }

    /// <summary>
    /// rt_sigaction(SIGSEGV, handler), read /proc/self/maps, mprotect(PROT_READ) every writable mapping
    /// but [stack]. Returns the number of mappings protected.
    /// </summary>
    public async ActorTask<UserResult> StartMprotect(Func<UserOp, AskAwaitable<UserResult>> request)
    {
        UserResult installed = await request(new SyscallOp(new SigsegvHandlerCall(true)));
        if (installed.Killed)
        {
            return installed;
        }

        HandlerInstalled = true;
        UserResult maps = await request(new SyscallOp(new ProcMapsReadCall()));
        if (maps.Killed || maps.Text is null)
        {
            return maps;
        }

        foreach (MapsLine line in MapsLine.ParseAll(maps.Text).Where(l => l.Writable && !l.IsStack).Take(TrackedRangesMax))
        {
            UserResult protectedNow = await request(new SyscallOp(new MprotectCall(line.Range.Start, line.Range.LengthBytes, line.Prot & ~Prot.Write)));
            if (protectedNow.Killed)
            {
                return protectedNow;
            }

            if (protectedNow.Ret == 0)
            {
                _tracked.Add((line.Range, line.Prot));
            }
        }

        return UserResult.Returned(_tracked.Count);
    }

    /// <summary>
    /// The SIGSEGV handler: a write to a tracked page (SEGV_ACCERR inside a protected mapping) is recorded
    /// and the page is given its old protection back; true means "return from the handler and retry the
    /// access". Anything else (SEGV_MAPERR, an address it never protected) is not its business: false.
    /// </summary>
    public async ActorTask<bool> OnSigsegv(Siginfo info, Func<UserOp, AskAwaitable<UserResult>> request)
    {
        ArgumentNullException.ThrowIfNull(info);
        if (info.Signo != Siginfo.Sigsegv || info.Code != SegvCode.Accerr)
        {
            return false;
        }

        int index = _tracked.FindIndex(t => t.Range.Contains(info.Addr));
        if (index < 0)
        {
            return false;
        }

        VirtAddr page = info.Addr.PageAlignDown();
        _log.Record(_key, page);
        UserResult restored = await request(new SyscallOp(new MprotectCall(page, PageGeometry.PageSize, _tracked[index].Prot)));
        return !restored.Killed && restored.Ret == 0;
    }

    /// <summary>
    /// The WP monitor on descriptor <paramref name="fd"/>: each WP fault's page is recorded and
    /// un-write-protected (UFFDIO_WRITEPROTECT mode 0 wakes the writer); an UNMAP event or EOF ends the
    /// loop. Returns the number of faults handled.
    /// </summary>
    public async ActorTask<UserResult> MonitorUffdWp(int fd, Func<UserOp, AskAwaitable<UserResult>> request)
    {
        int handled = 0;
        for (int i = 0; i < MonitorMessagesMax; i++)
        {
            UserResult read = await request(new SyscallOp(new UffdReadCall(fd)));
            if (read.Killed || read.Ret <= 0)
            {
                return read.Killed ? read : UserResult.Returned(handled);
            }

            UffdMsg msg = UffdMsg.Decode(read.Ret);
            if (msg.Event == UffdEvent.Unmap)
            {
                return UserResult.Returned(handled);
            }

            if (msg.Event != UffdEvent.Pagefault || (msg.Flags & UffdPagefaultFlags.Wp) == 0)
            {
                continue;
            }

            _log.Record(_key, msg.Address);
            UserResult cleared = await request(new SyscallOp(new UffdioWriteprotectCall(fd, msg.Address, PageGeometry.PageSize, 0)));
            if (cleared.Killed)
            {
                return cleared;
            }

            handled++;
        }

        throw new InvalidOperationException($"uffd-wp monitor read {MonitorMessagesMax} messages without the end of tracking");
    }
}
