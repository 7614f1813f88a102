using ShadowPt.Runtime.Async;

namespace ShadowPt.Kernel;

/// <summary>read(open("/proc/self/maps")) to the end: the whole file in one call; the text is in <see cref="UserResult.Text"/>, the return value is its length.</summary>
public sealed record ProcMapsReadCall : Syscall
{
    public override string Name => "read";
}

public static partial class Syscalls
{
    /// <summary>
    /// show_map over every VMA of the caller's mm under mmap_lock for read (m_start takes it, m_stop
    /// drops it). The model reads the file in one go, so the lines are one consistent snapshot.
    /// </summary>
    /// <remarks>fs/proc/task_mmu.c m_start, show_map, m_stop.</remarks>
    private static async ActorTask<UserResult> ProcMapsRead(KernelContext k)
    {
        MmId mm = k.CurrentMm ?? throw new KernelBugException("read(/proc/self/maps) without an mm");
        await k.MmapReadLock(mm);
        string text = await k.Mem("show_map", s => ProcMaps.Format(s.Mm(mm)));
        k.MmapReadUnlock(mm);
        k.AssertNoLocksHeld("read(/proc/self/maps)");
        return UserResult.Returned(text.Length) with { Text = text };
    }
}
