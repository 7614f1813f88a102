using ShadowPt.Runtime.Async;

namespace ShadowPt.Kernel;

/// <summary>The custom fault policy of the first seed, hooked into handle_mm_fault.</summary>
public static partial class Fault
{
    /// <summary>A page of 'X', the contents the policy maps by default.</summary>
    private static readonly byte[] PolicyPageDefault = Filled(FaultPolicyConfig.FillDefault);

    /// <summary>
    /// The seed's hook at the top of handle_mm_fault (for a missing page): when current is the chosen
    /// process (<see cref="MachineConfig.FaultPolicy"/>), either map a fresh page filled with 'X', or
    /// drop mmap_lock and answer VM_FAULT_RETRY so that do_user_addr_fault retries with
    /// FAULT_FLAG_TRIED. The strategy chooses (one boolean per answer that may retry). A fault that may
    /// not retry (no FAULT_FLAG_ALLOW_RETRY, e.g. mlock's populate, or the retry limit reached) is
    /// mapped. Null when the policy does not apply: the normal path handles the fault.
    /// We enter with mmap_lock held for read, no PTE lock; return the same way, except after
    /// VM_FAULT_RETRY, which returns with mmap_lock released.
    /// </summary>
    /// <remarks>
    /// The retry protocol is the kernel's (arch/x86/mm/fault.c do_user_addr_fault, mm/memory.c
    /// handle_mm_fault): the handler releases mmap_lock before returning VM_FAULT_RETRY, the caller
    /// sets FAULT_FLAG_TRIED and retakes the lock in lock_mm_and_find_vma, as filemap_fault's
    /// maybe_unlock_mmap_for_io does in <see cref="DoFault"/>. Since Linux 5.7 a handler may ask for
    /// more than one retry of the same fault; the policy bounds them with
    /// <see cref="FaultPolicyConfig.RetriesMax"/>.
    /// </remarks>
    public static async ActorTask<VmFault?> FaultPolicyFault(KernelContext k, VmArea vma, VirtAddr page, PtePageId table, FaultFlags flags)
    {
        if (k.Config.FaultPolicy is not FaultPolicyConfig policy || !vma.IsAnonymous || (vma.VmFlags & VmFlags.Shared) != 0)
        {
            return null;
        }

        MmId mm = k.Mm;
        int pid = k.CurrentPid;
        k.MmapAssertLocked(mm, "fault policy");
        int? retries = await k.Mem("fault_policy", s =>
            s.Task(pid).Comm == policy.Process ? s.Extension<FaultPolicyState>().RetriesOf(pid, page) : (int?)null);
        if (retries is not int done)
        {
            return null;
        }

        bool mayRetry = (flags & FaultFlags.AllowRetry) != 0 && done < policy.RetriesMax;
        if (mayRetry && !k.Actor.ChooseBoolean())
        {
            await k.Mem("fault_policy retry", s =>
            {
                s.Extension<FaultPolicyState>().NoteRetry(pid, page);
                return true;
            });
            k.MmapReadUnlock(mm); // VM_FAULT_RETRY: return without mmap_lock
            return VmFault.Retry;
        }

        return await MapPolicyPage(k, vma, page, table, policy, forced: !mayRetry);
    }

    /// <summary>The policy's answer "map": a new anonymous page filled with the policy's byte, installed as do_anonymous_page installs a written page.</summary>
    private static async ActorTask<VmFault?> MapPolicyPage(KernelContext k, VmArea vma, VirtAddr page, PtePageId table, FaultPolicyConfig policy, bool forced)
    {
        MmId mm = k.Mm;
        int pid = k.CurrentPid;
        await AnonVmaPrepare(k, vma);
        string who = k.Label("fault_policy map");
        byte[] contents = policy.Fill == FaultPolicyConfig.FillDefault ? PolicyPageDefault : Filled(policy.Fill);
        Pfn? allocated = await k.Mem("fault_policy alloc", s =>
        {
            Pfn? pfn = s.Frames.AllocPage(FrameKind.Anon, s.Who(who));
            if (pfn is Pfn fresh)
            {
                s.Frames.WriteBytes(fresh, 0, contents, s.Who(who));
            }
            else
            {
                s.Extension<FaultPolicyState>().Forget(pid);
            }

            return pfn;
        });
        if (allocated is not Pfn pfn)
        {
            return VmFault.Oom;
        }

        var ptl = new PtlRef(table);
        await k.Lock(ptl, LockMode.Exclusive);
        bool installed = await k.Mem("fault_policy set_pte_at", s =>
        {
            PageTable pgd = s.Mm(mm).Pgd;
            FaultPolicyState state = s.Extension<FaultPolicyState>();
            if (!pgd.GetPte(page).IsNone)
            {
                s.Frames.PutPage(pfn, s.Who(who)); // raced with another CPU's fault: theirs stands
                state.Forget(pid);
                return false;
            }

            Pte entry = Pte.MkPte(pfn, vma.PageProt);
            if ((vma.VmFlags & VmFlags.Write) != 0)
            {
                entry = entry.PteMkWrite().PteMkDirty();
            }

            s.Frames.AddMapCount(pfn, s.Who(who));
            pgd.SetPteAt(page, entry);
            state.NoteMapped(pid, page, forced);
            return true;
        });
        if (installed)
        {
            await k.VmaHooks.PteMapped(k, mm, page);
        }

        k.Unlock(ptl, LockMode.Exclusive);
        return VmFault.None;
    }

    /// <summary>A page of <paramref name="fill"/>.</summary>
    private static byte[] Filled(byte fill)
    {
        byte[] page = new byte[PageGeometry.PageSizeBytes];
        Array.Fill(page, fill);
        return page;
    }
}
