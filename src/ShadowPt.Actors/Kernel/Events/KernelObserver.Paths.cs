using ShadowPt.Runtime;

namespace ShadowPt.Kernel;

/// <summary>A user page fault entering or leaving do_user_addr_fault on a CPU (<see cref="Result"/> on the way out).</summary>
public readonly record struct PageFaultEvent(CpuId Cpu, int Pid, VirtAddr Address, bool Write, VmFault? Result, long Step, Ticks Tick);

/// <summary>The events of kernel paths that are not system calls (for recorders and timelines).</summary>
public abstract partial class KernelObserver
{
    /// <summary>The CPU took a #PF on a user access and enters do_user_addr_fault.</summary>
    public virtual void PageFaultEntered(in PageFaultEvent e)
    {
    }

    /// <summary>do_user_addr_fault returned (the access is retried or the task gets a signal).</summary>
    public virtual void PageFaultDone(in PageFaultEvent e)
    {
    }
}

/// <summary>Raising the kernel-path events.</summary>
public sealed partial class KernelContext
{
    /// <summary>This CPU enters (<paramref name="result"/> null) or leaves do_user_addr_fault for <paramref name="address"/>.</summary>
    internal void RaisePageFault(VirtAddr address, bool write, VmFault? result)
    {
        if (!Events.HasObservers)
        {
            return;
        }

        var e = new PageFaultEvent(Cpu, CurrentPid, address, write, result, Actor.Step, Actor.Now);
        if (result is null)
        {
            Events.Raise(in e, static (o, in x) => o.PageFaultEntered(in x));
        }
        else
        {
            Events.Raise(in e, static (o, in x) => o.PageFaultDone(in x));
        }
    }
}
