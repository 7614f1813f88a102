using ShadowPt.Runtime.Async;

namespace ShadowPt.Kernel;

/// <summary>
/// read(fd, &amp;msg, sizeof msg) on a descriptor opened with O_NONBLOCK (as CRIU's lazy-pages daemon opens
/// it, to poll it with epoll): a queued message encoded as <see cref="UffdReadCall"/> returns it, 0 when
/// the context was released, -EAGAIN when nothing is queued. It never sleeps.
/// </summary>
public sealed record UffdReadNonblockCall(int Fd) : Syscall
{
    public override string Name => "read(uffd, O_NONBLOCK)";
}

public static partial class UffdSyscalls
{
    /// <summary>userfaultfd_ctx_read with no_wait: one message, or -EAGAIN instead of sleeping.</summary>
    /// <remarks>fs/userfaultfd.c userfaultfd_ctx_read (no_wait → -EAGAIN).</remarks>
    private static async ActorTask<long> UserfaultfdReadNonblock(KernelContext k, UffdReadNonblockCall call)
    {
        int pid = k.CurrentPid;
        return await k.Mem("userfaultfd_ctx_read (O_NONBLOCK)", s =>
        {
            (long ret, bool sleep) = ReadOne(s, pid, call.Fd);
            if (!sleep)
            {
                return ret;
            }

            s.Extension<UffdState>().FdCtx(pid, call.Fd)?.Readers.Remove(pid); // no wait queue entry is left behind
            return Err(Errno.EAGAIN);
        });
    }
}
