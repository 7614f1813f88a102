using ShadowPt.Runtime;

namespace ShadowPt.Kernel;

/// <summary>
/// How the code making an access marks it, in the sense of the kernel memory model and KCSAN: a
/// marked access is one its author declared racy on purpose.
/// </summary>
public enum AccessMarking : byte
{
    /// <summary>A plain C access: a data race with any concurrent access to the word when either writes.</summary>
    Plain,

    /// <summary>READ_ONCE / WRITE_ONCE, or an aligned 8-byte user load or store (single-copy atomic): races only with plain accesses.</summary>
    Marked,

    /// <summary>
    /// WRITE_ONCE with ASSERT_EXCLUSIVE_WRITER: marked for lockless readers, while writers are
    /// serialised (by a lock); a concurrent write of any marking is reported.
    /// </summary>
    MarkedExclusiveWriter,
}

/// <summary>What kind of word an instrumented access touched.</summary>
public enum AccessSpace : byte
{
    /// <summary>A word of a kernel frame, written by kernel code (the shadow table's entries).</summary>
    KernelWord,

    /// <summary>A PTE, written by kernel code (set_pte_at, ptep_get_and_clear, zap_pte_range).</summary>
    Pte,

    /// <summary>A user load or store that reached a kernel frame through a user mapping (the inspector reading its table).</summary>
    User,
}

/// <summary>
/// One instrumented access, as KCSAN's <c>__tsan_readN</c>/<c>__tsan_writeN</c> see it: who (CPU, task,
/// kernel function), where (frame and offset, the frame's allocation generation, the user address
/// for user accesses), how (size, read or write, marking) and the word before and after.
/// </summary>
public readonly record struct MemoryAccess(
    CpuId Cpu,
    int Pid,
    string Function,
    AccessSpace Space,
    Pfn Frame,
    int Offset,
    int Size,
    bool Write,
    AccessMarking Marking,
    ulong OldValue,
    ulong NewValue,
    int Generation,
    VirtAddr UserAddress,
    long Step);

/// <summary>A CPU starting or finishing a task's user operation (the request/reply between a process and its CPU).</summary>
public readonly record struct UserOpEvent(CpuId Cpu, int Pid, UserOp Op, UserResult? Result, long Step, Ticks Tick);

/// <summary>A TLB-flush IPI between two CPUs, or its acknowledgement.</summary>
public readonly record struct IpiEvent(CpuId From, CpuId To, long Step, Ticks Tick);

/// <summary>The events of the happens-before race detector (and of anyone else who wants them).</summary>
public abstract partial class KernelObserver
{
    /// <summary>An instrumented word was accessed, inside a memory operation (in the memory actor, in execution order).</summary>
    public virtual void MemoryAccessed(in MemoryAccess access)
    {
    }

    /// <summary>A CPU is about to run a task's user operation (syscall, access, sleep).</summary>
    public virtual void UserOpStarted(in UserOpEvent e)
    {
    }

    /// <summary>A CPU is about to reply to the task with <see cref="UserOpEvent.Result"/>.</summary>
    public virtual void UserOpDone(in UserOpEvent e)
    {
    }

    /// <summary>A CPU is about to send a TLB-flush IPI (on <see cref="IpiEvent.From"/>).</summary>
    public virtual void IpiSent(in IpiEvent e)
    {
    }

    /// <summary>A CPU takes a TLB-flush IPI, before flush_tlb_func (on <see cref="IpiEvent.To"/>).</summary>
    public virtual void IpiReceived(in IpiEvent e)
    {
    }

    /// <summary>A CPU is about to acknowledge the IPI it took (on <see cref="IpiEvent.To"/>).</summary>
    public virtual void IpiAcked(in IpiEvent e)
    {
    }

    /// <summary>The sender of an IPI received its acknowledgement and goes on (on <see cref="IpiEvent.From"/>).</summary>
    public virtual void IpiAckReceived(in IpiEvent e)
    {
    }

    /// <summary>A path is about to downgrade a write lock to a read lock (a release of what it wrote so far).</summary>
    public virtual void LockDowngraded(LockEvent e)
    {
    }

    /// <summary>synchronize_srcu returned: every read section that began before it has ended.</summary>
    public virtual void SrcuSynchronized(LockEvent e)
    {
    }
}

/// <summary>Raising events without allocating (the user-operation events come with every access).</summary>
public sealed partial class KernelEvents
{
    /// <summary>A call of one observer method with an event passed by reference.</summary>
    internal delegate void EventCall<T>(KernelObserver observer, in T e)
        where T : struct;

    internal void Raise<T>(in T e, EventCall<T> call)
        where T : struct
    {
        if (_sync is null)
        {
            foreach (KernelObserver observer in _observers)
            {
                call(observer, in e);
            }

            return;
        }

        lock (_sync)
        {
            foreach (KernelObserver observer in _observers)
            {
                call(observer, in e);
            }
        }
    }
}
