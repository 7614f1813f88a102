using ShadowPt.Actors;
using ShadowPt.Kernel;
using ShadowPt.Runtime.Actors;
using ShadowPt.Runtime.Async;

namespace ShadowPt.Benchmarking;

/// <summary>
/// One process of a model benchmark: asks its CPU for a system call or a user access at a time, as
/// <see cref="ProcessActor"/> does, and answers each phase with the number of accesses it made.
/// Any SIGSEGV, kill or failed mmap is a broken benchmark and throws.
/// </summary>
internal sealed class BenchProcessActor : ReceiveActor
{
    /// <summary>The CPU the process runs on.</summary>
    private readonly IActorRef _cpu;

    /// <summary>The task the process is.</summary>
    private readonly int _pid;

    /// <summary>Pages the process maps.</summary>
    private readonly int _pages;

    /// <summary>Start of the process's mapping, once mapped.</summary>
    private VirtAddr _start;

    public BenchProcessActor(IActorRef cpu, int pid, int pages)
    {
        _cpu = cpu;
        _pid = pid;
        _pages = pages;
        ReceiveAsync<MapPhase>(_ => Map());
        ReceiveAsync<TouchPhase>(_ => Touch());
        ReceiveAsync<LoopPhase>(Loop);
    }

    /// <summary>mmap of the process's pages, private, anonymous, read-write; replies 0 accesses.</summary>
    private async ActorTask Map()
    {
        ulong bytes = (ulong)_pages * PageGeometry.PageSize;
        UserResult result = await Request(new SyscallOp(new MmapCall(VirtAddr.Zero, bytes, Prot.Read | Prot.Write, MapFlags.Private | MapFlags.Anonymous)));
        if (result.Ret <= 0 || result.Segv || result.Killed)
        {
            throw new InvalidOperationException($"pid {_pid}: mmap of {_pages} pages failed with {result.Ret}");
        }

        _start = new VirtAddr((ulong)result.Ret);
        Sender?.Tell(0L);
    }

    /// <summary>One store to every page: each faults (do_anonymous_page allocates and maps a page).</summary>
    private async ActorTask Touch()
    {
        for (int page = 0; page < _pages; page++)
        {
            await Access(page, write: true);
        }

        Sender?.Tell((long)_pages);
    }

    /// <summary>Loads from the first pages, pass after pass: TLB hits when they fit the TLB, page walks when not.</summary>
    private async ActorTask Loop(LoopPhase loop)
    {
        int pages = Math.Min(loop.Pages, _pages);
        for (int pass = 0; pass < loop.Passes; pass++)
        {
            for (int page = 0; page < pages; page++)
            {
                await Access(page, write: false);
            }
        }

        Sender?.Tell((long)pages * loop.Passes);
    }

    private async ActorTask Access(int page, bool write)
    {
        VirtAddr address = _start + ((ulong)page * PageGeometry.PageSize);
        UserResult result = await Request(new AccessOp(address, write, write ? (byte)(page | 1) : (byte)0));
        if (result.Segv || result.Killed)
        {
            throw new InvalidOperationException($"pid {_pid}: access to {address} raised SIGSEGV or killed the task");
        }
    }

    private AskAwaitable<UserResult> Request(UserOp op) => Context.Ask<UserResult>(_cpu, new UserRequest(_pid, op));
}

/// <summary>Map the process's pages.</summary>
internal sealed class MapPhase
{
    public static MapPhase Instance { get; } = new();

    private MapPhase()
    {
    }
}

/// <summary>Store once to every page of the process (faults).</summary>
internal sealed class TouchPhase
{
    public static TouchPhase Instance { get; } = new();

    private TouchPhase()
    {
    }
}

/// <summary>Load from the first <paramref name="Pages"/> pages, <paramref name="Passes"/> times over.</summary>
internal sealed record LoopPhase(int Pages, int Passes);
