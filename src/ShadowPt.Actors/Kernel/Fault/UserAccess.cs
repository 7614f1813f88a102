using System.Runtime.CompilerServices;
using ShadowPt.Runtime.Async;

namespace ShadowPt.Kernel;

/// <summary>
/// A user-mode load or store of one byte, as the CPU executes it: TLB lookup, page walk and TLB fill
/// on a miss, the access itself, or a page fault and a retry of the instruction. An instruction is
/// not interruptible: IPIs wait until it completes, so a TLB shootdown can never land between the
/// translation and the access it serves.
/// </summary>
public static class UserAccess
{
    /// <summary>Executes a one-byte access; a SIGSEGV (or an OOM kill) is in the outcome, not an exception.</summary>
    public static async ActorTask<AccessOutcome> Execute(KernelContext k, VirtAddr address, bool write, byte value)
    {
        (AccessOutcome outcome, _) = await ExecuteSized(k, address, write, value, 1);
        return outcome;
    }

    /// <summary>
    /// <see cref="Execute"/> with the byte also as the word beside the outcome: the same access, one async
    /// layer fewer for a caller that awaits it on every user access.
    /// </summary>
    public static ActorTask<(AccessOutcome Outcome, ulong Word)> ExecuteByte(KernelContext k, VirtAddr address, bool write, byte value) =>
        ExecuteSized(k, address, write, value, 1);

    /// <summary>Executes an aligned 8-byte access; the loaded word is returned beside the outcome.</summary>
    public static ActorTask<(AccessOutcome Outcome, ulong Word)> ExecuteWord(KernelContext k, VirtAddr address, bool write, ulong value)
    {
        Bug.On((address.Value & 7) != 0, $"unaligned 8-byte access at {address}");
        return ExecuteSized(k, address, write, value, 8);
    }

    /// <summary>
    /// The instruction, retried after each fault it takes. One method rather than an attempt method
    /// awaited in a loop: every access goes through here, and each suspended async layer costs a box.
    /// </summary>
    private static async ActorTask<(AccessOutcome Outcome, ulong Word)> ExecuteSized(KernelContext k, VirtAddr address, bool write, ulong value, int size)
    {
        MmId mm = k.Mm;
        for (int attempt = 0; attempt <= Fault.FaultRetriesMax; attempt++)
        {
            // One attempt of the instruction, with interrupts held off until it completed or faulted: a hit
            // with the rights it needs, a miss (a page walk), or a hit without them (neither: it faults).
            bool done = false;
            ulong read = 0;
            if (StartTlbHit(k, mm, address, write, value, size) is TlbHitAwaitable hit)
            {
                read = await hit;
                done = true;
            }
            else if (k.Tlb.Lookup(mm, address) is null)
            {
                k.Actor.InterruptsDisabled = true;
                try
                {
                    // TLB miss: the page walker reads the PTE, sets accessed (and dirty) as hardware does, and the access proceeds.
                    string who = k.Label(write ? "user store" : "user load");
                    (bool ok, Pfn pfn, bool writable, ulong result) = await k.MemWith(write ? "page walk + store" : "page walk + load", static (s, a) => ((WalkAccess)a).Run(s), new WalkAccess(mm, address, write, value, size, who));
                    if (ok)
                    {
                        k.Tlb.Fill(mm, address, pfn, writable, user: true);
                        (done, read) = (true, result);
                    }
                }
                finally
                {
                    k.Actor.InterruptsDisabled = false;
                }
            }

            if (done)
            {
                return (new AccessOutcome(false, (byte)read, false), read);
            }

            // #PF: the CPU drops the faulting translation, then the kernel handles the fault.
            k.Tlb.FlushOne(mm, address);
            k.RaisePageFault(address, write, null);
            VmFault fault = await Fault.DoUserAddrFault(k, address, write);
            k.RaisePageFault(address, write, fault);
            if ((fault & VmFault.Sigsegv) != 0 || (fault & VmFault.Sigbus) != 0)
            {
                return (AccessOutcome.Sigsegv, 0);
            }

            if ((fault & VmFault.Oom) != 0)
            {
                return (new AccessOutcome(false, 0, true), 0);
            }
        }

        throw new KernelBugException($"{k.Cpu}: access at {address} kept faulting");
    }

    /// <summary>
    /// Starts an attempt that hits in the TLB with the rights it needs: interrupts held off, this CPU's
    /// <see cref="TlbHitAccess"/> armed and its memory operation sent; awaiting the result finishes the
    /// attempt (see <see cref="TlbHitAwaitable"/>). Null, with nothing done, on a miss or a hit without
    /// the rights. The CPU's run loop starts a load or store with it before anything else (no async layer
    /// for the commonest access); <see cref="ExecuteSized"/> starts every attempt with it.
    /// </summary>
    internal static TlbHitAwaitable? StartTlbHit(KernelContext k, MmId mm, VirtAddr address, bool write, ulong value, int size)
    {
        if (k.Tlb.Lookup(mm, address) is not TlbEntry hit || (write && !hit.Writable))
        {
            return null;
        }

        Bug.On(size == 8 && (address.Value & 7) != 0, $"unaligned 8-byte access at {address}");
        k.Actor.InterruptsDisabled = true;
        TlbHitAccess access = k.SpareTlbHitAccess ?? new TlbHitAccess();
        k.SpareTlbHitAccess = null;
        access.Arm(k.Cpu, hit, address, write, value, size, k.Label(write ? "user store" : "user load"));
        return new TlbHitAwaitable(k, access, k.MemAgain(access.Operation(k.Cpu, write)));
    }

    /// <summary>
    /// The result of an attempt <see cref="StartTlbHit"/> started. Taking it ends the attempt: interrupts
    /// back on (also when the operation failed) and, once the reply came, the CPU's
    /// <see cref="TlbHitAccess"/> free for its next hit. One awaitable for both callers, so the protocol
    /// (arm, send, reply, put back, interrupts on) is written once.
    /// </summary>
    internal readonly struct TlbHitAwaitable : ICriticalNotifyCompletion, IBoxAwareAwaiter
    {
        private readonly KernelContext _k;
        private readonly TlbHitAccess _access;
        private readonly MemAwaitable<ulong> _operation;

        internal TlbHitAwaitable(KernelContext k, TlbHitAccess access, MemAwaitable<ulong> operation) => (_k, _access, _operation) = (k, access, operation);

        public bool IsCompleted => _operation.IsCompleted;

        public TlbHitAwaitable GetAwaiter() => this;

        public ulong GetResult()
        {
            try
            {
                ulong value = _operation.GetResult();
                _k.SpareTlbHitAccess = _access; // its operation ran (this is its reply): the next hit may use it again
                return value;
            }
            finally
            {
                _k.Actor.InterruptsDisabled = false;
            }
        }

        public void OnCompleted(Action continuation) => _operation.OnCompleted(continuation);

        public void UnsafeOnCompleted(Action continuation) => _operation.UnsafeOnCompleted(continuation);

        void IBoxAwareAwaiter.OnCompleted(IStateMachineBox box) => _operation.OnCompleted(box);
    }

    /// <summary>
    /// The memory operation of an access through a TLB hit. Its arguments are fields rather than a
    /// lambda's captures, and one instance per CPU is used again and again
    /// (<see cref="KernelContext.SpareTlbHitAccess"/>), so a hit allocates no argument object at all.
    /// </summary>
    /// <remarks>
    /// Reuse is safe because only <see cref="MemOp{T}"/>'s private body reads the fields, once, when the
    /// memory actor runs the operation, and the CPU arms it again only after that operation's reply: a CPU
    /// has one access in flight (an instruction is not interruptible). <see cref="Arm"/> and
    /// <see cref="Run"/> check that they alternate, so a reuse while an operation is in flight is a kernel bug.
    /// </remarks>
    internal sealed class TlbHitAccess
    {
        private CpuId _cpu;
        private TlbEntry _hit;
        private VirtAddr _address;
        private bool _write;
        private ulong _value;
        private int _size;
        private string _who = string.Empty;

        /// <summary>Whether it was armed and its operation has not run yet.</summary>
        private bool _armed;

        /// <summary>The memory operations that run it, a load and a store, made on first use and sent again with it.</summary>
        private MemOp<ulong>? _load;

        private MemOp<ulong>? _store;

        /// <summary>
        /// The memory operation of this access: kept with it and sent again for each hit, as it is (the same
        /// message type and name as a new one, so the trace is the same); in flight exactly when this is armed.
        /// </summary>
        public MemOp<ulong> Operation(CpuId cpu, bool write)
        {
            ref MemOp<ulong>? op = ref write ? ref _store : ref _load;
            op ??= new MemOp<ulong>(write ? "store (tlb hit)" : "load (tlb hit)", static (s, a) => ((TlbHitAccess)a).Run(s), this) { Cpu = cpu };
            return op;
        }

        /// <summary>Sets the arguments of the next access; it must not be in flight.</summary>
        public void Arm(CpuId cpu, TlbEntry hit, VirtAddr address, bool write, ulong value, int size, string who)
        {
            Bug.On(_armed, $"{cpu}: tlb-hit access reused while its memory operation is in flight");
            (_cpu, _hit, _address, _write, _value, _size, _who, _armed) = (cpu, hit, address, write, value, size, who, true);
        }

        public ulong Run(KernelState state)
        {
            Bug.On(!_armed, $"{_cpu}: tlb-hit access run without being armed (run twice?)");
            _armed = false;
            state.NoteTlbHit(_cpu, _hit, _write);
            return AccessFrame(state, _hit.Pfn, _address, _write, _value, _size, _who);
        }
    }

    /// <summary>
    /// The memory operation of an access after a TLB miss: the page walker reads the PTE, sets accessed
    /// (and dirty) as hardware does, and the access proceeds; (false, …) when the PTE does not allow it.
    /// </summary>
    private sealed class WalkAccess(MmId mm, VirtAddr address, bool write, ulong value, int size, string who)
    {
        public (bool, Pfn, bool, ulong) Run(KernelState s)
        {
            PageTable pgd = s.Mm(mm).Pgd;
            VirtAddr page = address.PageAlignDown();
            Pte pte = pgd.GetPte(page);
            if (!pte.IsPresent || !pte.IsUser || (write && !pte.IsWrite))
            {
                return (false, default(Pfn), false, 0UL);
            }

            Pte updated = write ? pte.PteMkYoung().PteMkDirty() : pte.PteMkYoung();
            if (updated != pte)
            {
                pgd.SetPteAccessFlags(page, updated);
            }

            return (true, pte.Pfn, pte.IsWrite, AccessFrame(s, pte.Pfn, address, write, value, size, who));
        }
    }

    /// <summary>The memory access proper: a freed frame is a use after free and throws with its history.</summary>
    private static ulong AccessFrame(KernelState s, Pfn pfn, VirtAddr address, bool write, ulong value, int size, string who)
    {
        int offset = (int)address.OffsetInPage;
        s.Frames.Instrumentation?.UserAccess(pfn, offset, size, write, value, address);
        if (size == 8)
        {
            if (write)
            {
                s.Frames.WriteU64(pfn, offset, value, s.Who(who));
                return value;
            }

            return s.Frames.ReadU64(pfn, offset, s.Who(who));
        }

        Span<byte> one = stackalloc byte[1];
        if (write)
        {
            one[0] = (byte)value;
            s.Frames.WriteBytes(pfn, offset, one, s.Who(who));
            return value;
        }

        s.Frames.ReadBytes(pfn, offset, one, s.Who(who));
        return one[0];
    }
}
