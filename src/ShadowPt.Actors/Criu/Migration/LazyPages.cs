using ShadowPt.Kernel;
using ShadowPt.Runtime.Actors;
using ShadowPt.Runtime.Async;

namespace ShadowPt.Criu;

/// <summary>The destination asks the source for the page at <see cref="Address"/>; the answer goes to <see cref="ReplyTo"/>.</summary>
public sealed record PageRequest(ulong Address, IActorRef ReplyTo);

/// <summary>A page read on the source (null when the source could not read it).</summary>
public sealed record PageData(ulong Address, byte[]? Contents);

/// <summary>The lazy-pages daemon's poll timer: look at the descriptor again (epoll_wait's timeout).</summary>
public sealed record LazyPoll;

/// <summary>Where the destination's lazy-pages task runs and how it pushes.</summary>
/// <param name="DaemonCpu">The CPU of the lazy-pages task.</param>
/// <param name="DaemonPid">That task.</param>
/// <param name="PushWindow">Most background requests in flight at once (0: fetch on fault only).</param>
/// <param name="PushAfterIdleTicks">The background push starts once no fault came for this many ticks (CRIU's POLL_TIMEOUT).</param>
/// <param name="ForgetWake">A seeded bug for the checks: copy with UFFDIO_COPY_MODE_DONTWAKE and never wake (a lost wake-up).</param>
/// <param name="AskEveryFault">
/// A daemon that does not remember the requests in flight: a fault on a page being pushed asks for it
/// again, the page comes twice and the second UFFDIO_COPY finds it there (-EEXIST, then UFFDIO_WAKE).
/// </param>
public sealed record LazyPagesSetup(IActorRef DaemonCpu, int DaemonPid, int PushWindow, int PushAfterIdleTicks, bool ForgetWake = false, bool AskEveryFault = false);

/// <summary>
/// <c>criu lazy-pages</c>, a task on the destination holding the restored process's userfaultfd (the
/// restorer sent it over a socket) opened O_NONBLOCK: once a tick (its epoll wait) it reads every queued
/// message; for each fault on a lazy page not yet asked for, it asks the source over the link (on
/// demand). Once no fault came for <see cref="LazyPagesSetup.PushAfterIdleTicks"/> ticks, it asks for the
/// other pages in address order, at most <see cref="LazyPagesSetup.PushWindow"/> at a time (the background
/// push). Each page is asked for once; when it arrives, UFFDIO_COPY installs it with the source's contents
/// and wakes the tasks waiting on it. A copy that finds the page there already (-EEXIST) is followed by
/// UFFDIO_WAKE, and a fault on an address the source had no page for is answered with UFFDIO_ZEROPAGE.
/// When every page is in, the daemon stops polling and exits (closing its descriptor).
/// </summary>
/// <remarks>
/// CRIU criu/uffd.c (handle_requests: epoll with POLL_TIMEOUT, then handle_remaining_pages; handle_page_fault,
/// uffd_copy, xfer_pages); fs/userfaultfd.c (userfaultfd_ctx_read, mfill_atomic).
/// </remarks>
public sealed class LazyPagesDaemon : ReceiveActor
{
    /// <summary>Most messages read in one poll.</summary>
    public const int MessagesPerPollMax = 256;

    private readonly IActorRef _cpu;
    private readonly int _pid;
    private readonly IReadOnlyList<ulong> _lazy;
    private readonly HashSet<ulong> _lazySet;
    private readonly IActorRef _source;
    private readonly IActorRef _backLink;
    private readonly MigrationReport _report;
    private readonly int _window;
    private readonly int _pushAfterIdle;
    private readonly bool _forgetWake;
    private readonly bool _askEveryFault;

    /// <summary>Requests sent whose page has not arrived yet.</summary>
    private int _outstanding;

    /// <summary>The tick of the last fault read (the start of the idle wait before the push).</summary>
    private long _lastFaultTick;

    private bool _pushStarted;

    private bool _exited;

    /// <summary>Pages asked for: address → asked because of a fault.</summary>
    private readonly Dictionary<ulong, bool> _requested = new();

    private readonly HashSet<ulong> _arrived = new();

    /// <summary>The next lazy page the background push considers.</summary>
    private int _next;

    private int _pushing;

    private int _fd = -1;


    public LazyPagesDaemon(IActorRef cpu, int pid, IReadOnlyList<ulong> lazy, IActorRef source, IActorRef backLink, MigrationReport report, int pushWindow, int pushAfterIdleTicks, bool forgetWake = false, bool askEveryFault = false)
    {
        _forgetWake = forgetWake;
        _askEveryFault = askEveryFault;
        ArgumentNullException.ThrowIfNull(lazy);
        ArgumentOutOfRangeException.ThrowIfNegative(pushWindow);
        ArgumentOutOfRangeException.ThrowIfNegative(pushAfterIdleTicks);
        _pushAfterIdle = pushAfterIdleTicks;
        _cpu = cpu;
        _pid = pid;
        _lazy = lazy.Order().ToList();
        _lazySet = new HashSet<ulong>(lazy);
        _source = source;
        _backLink = backLink;
        _report = report;
        _window = pushWindow;
        ReceiveAsync<Actors.ProcessActor.Start>(_ => Begin());
        ReceiveAsync<LazyPoll>(_ => Poll());
        ReceiveAsync<PageData>(Arrive);
    }

    private async ActorTask Begin()
    {
        long fd = (await Request(new UffdRecvFdCall())).Ret;
        if (fd <= 0)
        {
            _report.Error ??= $"lazy-pages: no userfaultfd received ({fd})";
            return;
        }

        _fd = (int)fd;
        _lastFaultTick = Context.Now.Value;
        await Poll();
    }

    /// <summary>One wake-up of the poll loop: read every queued message, start the push when idle long enough, poll again next tick.</summary>
    private async ActorTask Poll()
    {
        if (_exited)
        {
            return;
        }

        for (int i = 0; i < MessagesPerPollMax; i++)
        {
            long ret = (await Request(new UffdReadNonblockCall(_fd))).Ret;
            if (ret <= 0)
            {
                break; // -EAGAIN: nothing queued (0: released)
            }

            UffdMsg msg = UffdMsg.Decode(ret);
            if (msg.Event == UffdEvent.Pagefault)
            {
                _report.FaultsRead++;
                _lastFaultTick = Context.Now.Value;
                await Fault(msg.Address.Value);
            }
        }

        if (!_pushStarted && Context.Now.Value - _lastFaultTick >= _pushAfterIdle)
        {
            _pushStarted = true;
            Push();
        }

        if (await Finish())
        {
            return;
        }

        Context.ScheduleTellOnce(1, Self, new LazyPoll());
    }

    private async ActorTask Fault(ulong page)
    {
        if (_arrived.Contains(page) || (_requested.ContainsKey(page) && !_askEveryFault))
        {
            return; // installed (the copy woke the task) or on its way (its copy will)
        }

        if (_lazySet.Contains(page))
        {
            Ask(page, demand: true);
            return;
        }

        long ret = (await Request(new UffdioZeropageCall(_fd, new VirtAddr(page), PageGeometry.PageSize, 0))).Ret;
        _report.ZeroPages++;
        if (ret == Syscalls.Err(Errno.EEXIST))
        {
            await Request(new UffdioWakeCall(_fd, new VirtAddr(page), PageGeometry.PageSize));
        }
        else if (ret != 0)
        {
            _report.Error ??= $"lazy-pages: UFFDIO_ZEROPAGE at 0x{page:x} failed: {ret}";
        }
    }

    private async ActorTask Arrive(PageData data)
    {
        ulong page = data.Address;
        Bug.On(!_requested.TryGetValue(page, out bool demand) || _outstanding <= 0, $"lazy-pages: page 0x{page:x} arrived unasked");
        _outstanding--;
        bool first = _arrived.Add(page);
        if (first && demand)
        {
            _report.PagesOnDemand++;
        }
        else if (first)
        {
            _report.PagesPushed++;
            _pushing--;
        }

        if (data.Contents is not byte[] contents)
        {
            _report.Error ??= $"lazy-pages: the source could not read page 0x{page:x}";
        }
        else
        {
            int mode = _forgetWake ? UffdApi.CopyModeDontwake : 0;
            long ret = (await Request(new UffdioCopyCall(_fd, new VirtAddr(page), PageGeometry.PageSize, 0, mode, contents))).Ret;
            if (ret == Syscalls.Err(Errno.EEXIST))
            {
                _report.CopiesExisting++;
                await Request(new UffdioWakeCall(_fd, new VirtAddr(page), PageGeometry.PageSize));
            }
            else if (ret != 0)
            {
                _report.Error ??= $"lazy-pages: UFFDIO_COPY at 0x{page:x} failed: {ret}";
            }
        }

        if (first && _arrived.Count == _lazy.Count)
        {
            _report.CompleteTick = Context.Now.Value;
        }

        Push();
    }

    /// <summary>The background push: ask for the next pages nobody asked for, up to the window.</summary>
    private void Push()
    {
        while (_pushStarted && _pushing < _window && _next < _lazy.Count)
        {
            ulong page = _lazy[_next++];
            if (!_requested.ContainsKey(page))
            {
                Ask(page, demand: false);
                _pushing++;
            }
        }
    }

    private void Ask(ulong page, bool demand)
    {
        _requested.TryAdd(page, demand);
        _outstanding++;
        _backLink.Tell(new LinkSend(new PageRequest(page, Self), 0, _source), Self);
    }

    /// <summary>Every page in and no request outstanding: close the descriptor by exiting (criu lazy-pages ends); true then.</summary>
    private async ActorTask<bool> Finish()
    {
        if (_arrived.Count < _lazy.Count || _outstanding > 0)
        {
            return false;
        }

        _exited = true;
        await Request(new ExitCall(0));
        return true;
    }

    private AskAwaitable<UserResult> Request(Syscall call) => Context.Ask<UserResult>(_cpu, new UserRequest(_pid, new SyscallOp(call)));
}
