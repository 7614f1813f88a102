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
    /// <summary>Executes the access; a SIGSEGV (or an OOM kill) is in the outcome, not an exception.</summary>
    public static async ActorTask<AccessOutcome> Execute(KernelContext k, VirtAddr address, bool write, byte value)
    {
        MmId mm = k.Mm;
        for (int attempt = 0; attempt <= Fault.FaultRetriesMax; attempt++)
        {
            (bool done, byte read) = await TryAccess(k, mm, address, write, value);
            if (done)
            {
                return new AccessOutcome(false, read, false);
            }

            // #PF: the CPU drops the faulting translation, then the kernel handles the fault.
            k.Tlb.FlushOne(mm, address);
            VmFault fault = await Fault.DoUserAddrFault(k, address, write);
            if ((fault & VmFault.Sigsegv) != 0 || (fault & VmFault.Sigbus) != 0)
            {
                return AccessOutcome.Sigsegv;
            }

            if ((fault & VmFault.Oom) != 0)
            {
                return new AccessOutcome(false, 0, true);
            }
        }

        throw new KernelBugException($"{k.Cpu}: access at {address} kept faulting");
    }

    /// <summary>One attempt of the instruction with interrupts held off: (true, value) when it completed.</summary>
    private static async ActorTask<(bool Done, byte Value)> TryAccess(KernelContext k, MmId mm, VirtAddr address, bool write, byte value)
    {
        k.Actor.InterruptsDisabled = true;
        try
        {
            string who = k.Label(write ? "user store" : "user load");
            int offset = (int)address.OffsetInPage;
            if (k.Tlb.Lookup(mm, address) is TlbEntry hit)
            {
                if (write && !hit.Writable)
                {
                    return (false, 0);
                }

                byte got = await k.Mem(write ? "store (tlb hit)" : "load (tlb hit)", s => AccessFrame(s, hit.Pfn, offset, write, value, who));
                return (true, got);
            }

            // TLB miss: the page walker reads the PTE, sets accessed (and dirty) as hardware does, and the access proceeds.
            (bool ok, Pfn pfn, bool writable, byte result) = await k.Mem(write ? "page walk + store" : "page walk + load", s =>
            {
                PageTable pgd = s.Mm(mm).Pgd;
                VirtAddr page = address.PageAlignDown();
                Pte pte = pgd.GetPte(page);
                if (!pte.IsPresent || !pte.IsUser || (write && !pte.IsWrite))
                {
                    return (false, default(Pfn), false, (byte)0);
                }

                Pte updated = write ? pte.PteMkYoung().PteMkDirty() : pte.PteMkYoung();
                if (updated != pte)
                {
                    pgd.SetPteAt(page, updated);
                }

                return (true, pte.Pfn, pte.IsWrite, AccessFrame(s, pte.Pfn, offset, write, value, who));
            });
            if (!ok)
            {
                return (false, 0);
            }

            k.Tlb.Fill(mm, address, pfn, writable, user: true);
            return (true, result);
        }
        finally
        {
            k.Actor.InterruptsDisabled = false;
        }
    }

    /// <summary>The memory access proper: a freed frame is a use after free and throws with its history.</summary>
    private static byte AccessFrame(KernelState s, Pfn pfn, int offset, bool write, byte value, string who)
    {
        Span<byte> one = stackalloc byte[1];
        if (write)
        {
            one[0] = value;
            s.Frames.WriteBytes(pfn, offset, one, s.Who(who));
            return value;
        }

        s.Frames.ReadBytes(pfn, offset, one, s.Who(who));
        return one[0];
    }
}
