namespace ShadowPt.Kernel;

/// <summary>Events of userfaultfd (Kernel/Userfaultfd).</summary>
public abstract partial class KernelObserver
{
    /// <summary>Task <paramref name="pid"/> on <paramref name="cpu"/> goes to sleep in handle_userfault after queueing <paramref name="msg"/>.</summary>
    public virtual void UserfaultBlocked(CpuId cpu, int pid, UffdMsg msg)
    {
    }

    /// <summary>The task was woken and will retry its fault.</summary>
    public virtual void UserfaultWoken(CpuId cpu, int pid, UffdMsg msg)
    {
    }
}
