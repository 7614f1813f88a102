using ShadowPt.Kernel;
using ShadowPt.Runtime;

namespace ShadowPt.Checking;

/// <summary>
/// What a spec monitor observes: kernel events (system calls, user accesses, locks, TLB shootdowns,
/// instrumented word accesses), scenario-level points (quiescence), and events a scenario announces
/// itself. Each carries the step and tick it happened at.
/// </summary>
public abstract record SpecEvent
{
    public long Step { get; init; }

    public Ticks Tick { get; init; }
}

/// <summary>A task entered a system call on a CPU (sys_enter).</summary>
public sealed record SyscallEntered(CpuId Cpu, int Pid, Syscall Call) : SpecEvent;

/// <summary>A system call returned to its task (sys_exit), or the task died in it (<see cref="Killed"/>).</summary>
public sealed record SyscallReturned(CpuId Cpu, int Pid, Syscall Call, long Ret, bool Killed) : SpecEvent;

/// <summary>A user load or store completed (1 or 8 bytes), faulted (<see cref="Segv"/>), or killed its task.</summary>
public sealed record UserAccessed(CpuId Cpu, int Pid, VirtAddr Address, bool Write, ulong Value, bool Segv, bool Killed) : SpecEvent;

/// <summary>A kernel path took (<see cref="Released"/> false) or released a lock.</summary>
public sealed record LockChanged(LockEvent Lock, bool Released) : SpecEvent;

/// <summary>The steps of one TLB-flush IPI, in order.</summary>
public enum IpiPhase
{
    /// <summary>The initiating CPU sent it (flush_tlb_mm_range).</summary>
    Sent,

    /// <summary>The target CPU took it (flush_tlb_func).</summary>
    Taken,

    /// <summary>The target acknowledged it.</summary>
    Acked,

    /// <summary>The initiator received the acknowledgement.</summary>
    AckReceived,
}

/// <summary>A step of a TLB shootdown between <see cref="From"/> (the initiator) and <see cref="To"/>.</summary>
public sealed record TlbShootdownIpi(CpuId From, CpuId To, IpiPhase Phase) : SpecEvent;

/// <summary>An instrumented word access (only when the race checker's instrumentation is installed).</summary>
public sealed record WordAccessed(MemoryAccess Access) : SpecEvent;

/// <summary>
/// The run is quiescent: no kernel path is half done. <see cref="State"/> may be read (not changed)
/// during the event.
/// </summary>
public sealed record QuiescentPoint(KernelState State) : SpecEvent;
