using ShadowPt.Kernel;
using ShadowPt.Runtime.Actors;
using ShadowPt.Runtime.Async;

namespace ShadowPt.Criu;

/// <summary>The restore finished: the restored process's memory as the restorer left it, or what went wrong.</summary>
public sealed record RestoreDone(int Pid, MemorySnapshot? Snapshot, string? Error, long PagesWritten);

/// <summary>
/// CRIU's restorer, running as the new process itself on a CPU of the machine:
/// unmaps everything the fresh process had, maps each VMA of the image at its address (MAP_FIXED,
/// writable at first), writes every page, then gives each VMA its own protection. Tells
/// <see cref="RestoreDone"/> to its parent with a snapshot taken by the kernel at the end.
/// </summary>
/// <remarks>CRIU criu/cr-restore.c and criu/pie/restorer.c (premap, restore_priv_vma_content, mprotect at the end).</remarks>
public sealed class RestorerActor : ReceiveActor
{
    private readonly IActorRef _cpu;
    private readonly int _pid;
    private readonly RestorePlan _plan;

    /// <summary>Post-copy: the lazy-pages tasks to hand the userfaultfd to; null restores every page.</summary>
    private readonly IReadOnlyList<int>? _lazyPids;

    public RestorerActor(IActorRef cpu, int pid, RestorePlan plan, IReadOnlyList<int>? lazyPids = null)
    {
        _lazyPids = lazyPids;
        ArgumentNullException.ThrowIfNull(plan);
        _cpu = cpu;
        _pid = pid;
        _plan = plan;
        ReceiveAsync<Actors.ProcessActor.Start>(_ => Run());
    }

    private async ActorTask Run()
    {
        string? error = await Restore();
        var buffer = new UserBuffer<Collected>();
        await Request(new SyscallOp(new CriuCollectCall(_pid, Clear: false, Snapshot: true, buffer)));
        Context.Parent?.Tell(new RestoreDone(_pid, buffer.Value?.Snapshot, error, _plan.Pages.Count), Self);
    }

    private async ActorTask<string?> Restore()
    {
        long ret = (await Request(new SyscallOp(new MunmapCall(new VirtAddr(PageGeometry.PageSize), PageGeometry.TaskSizeMax - PageGeometry.PageSize)))).Ret;
        if (ret != 0)
        {
            return $"munmap of the old layout failed: {ret}";
        }

        foreach (ImageVma vma in _plan.Vmas)
        {
            ret = (await Request(new SyscallOp(new MmapCall(new VirtAddr(vma.Start), vma.End - vma.Start, vma.Prot | Prot.Read | Prot.Write, vma.MapFlags)))).Ret;
            if (ret != (long)vma.Start)
            {
                return $"mmap of {vma} failed: {ret}";
            }
        }

        if (_lazyPids is not null && await RegisterLazy(_lazyPids) is string failed)
        {
            return failed;
        }

        foreach ((ulong address, byte[] contents) in _plan.Pages)
        {
            ret = (await Request(new SyscallOp(new CriuRestorePageCall(address, contents)))).Ret;
            if (ret != 0)
            {
                return $"writing page 0x{address:x} failed: {ret}";
            }
        }

        foreach (ImageVma vma in _plan.Vmas.Where(v => !v.Read || !v.Write))
        {
            ret = (await Request(new SyscallOp(new MprotectCall(new VirtAddr(vma.Start), vma.End - vma.Start, vma.Prot)))).Ret;
            if (ret != 0)
            {
                return $"mprotect of {vma} failed: {ret}";
            }
        }

        return null;
    }

    /// <summary>
    /// Post-copy (criu/pie/restorer.c, restore_vma with lazy pages): open a userfaultfd in the restored
    /// process, register each private anonymous VMA MISSING, and send the descriptor to each lazy-pages task.
    /// </summary>
    private async ActorTask<string?> RegisterLazy(IReadOnlyList<int> pids)
    {
        long fd = (await Request(new SyscallOp(new UserfaultfdCall(UffdFeatures.None)))).Ret;
        if (fd <= 0)
        {
            return $"userfaultfd failed: {fd}";
        }

        foreach (ImageVma vma in _plan.Vmas.Where(v => v.Anonymous && !v.Shared))
        {
            long ret = (await Request(new SyscallOp(new UffdioRegisterCall((int)fd, new VirtAddr(vma.Start), vma.End - vma.Start, UffdRegisterMode.Missing)))).Ret;
            if (ret != 0)
            {
                return $"UFFDIO_REGISTER of {vma} failed: {ret}";
            }
        }

        foreach (int pid in pids)
        {
            long ret = (await Request(new SyscallOp(new UffdSendFdCall((int)fd, pid)))).Ret;
            if (ret != 0)
            {
                return $"sending the userfaultfd to pid {pid} failed: {ret}";
            }
        }

        return null;
    }

    private AskAwaitable<UserResult> Request(UserOp op) => Context.Ask<UserResult>(_cpu, new UserRequest(_pid, op));
}
