using ShadowPt.Runtime.Async;

namespace ShadowPt.Kernel;

/// <summary>
/// Automatic NUMA balancing's scanner: task_tick_numa decides that a scan is due, task_numa_work
/// makes the task's resident pages PROT_NONE (change_prot_numa), so that its next accesses take NUMA
/// hinting faults (<see cref="Fault.DoNumaPage"/>).
/// </summary>
/// <remarks>
/// kernel/sched/fair.c (task_tick_numa, task_numa_work), mm/mprotect.c (change_protection with
/// MM_CP_PROT_NUMA). The kernel checks on every scheduler tick of a running CFS task and runs the scan
/// as task_work on the way back to user mode; here every user operation a task starts on its CPU is such
/// a tick, and the scan runs before the operation. A sleeping task is not scanned, as in the kernel.
/// One pass covers the whole address space (the kernel scans 256 MiB per pass; our processes are smaller).
/// </remarks>
public static class NumaBalancing
{
    /// <summary>
    /// task_tick_numa + task_work: scans current's mm when numa_next_scan has come. Enters and returns
    /// with no lock held. Does nothing (and takes no scheduling point) without NUMA balancing.
    /// </summary>
    public static async ActorTask TaskTickNuma(KernelContext k)
    {
        if (k.Config.Numa is not { BalancingActive: true } numa || k.CurrentMm is not MmId mm || k.CurrentPid == 0)
        {
            return;
        }

        int pid = k.CurrentPid;
        bool due = await ScanDue(k, numa, mm, pid);
        if (due)
        {
            await TaskNumaWork(k, mm, pid);
        }
    }

    /// <summary>
    /// task_tick_numa's check, in its own method so that the lambda's captures (a closure) are
    /// allocated only on a NUMA machine, not on every user request of every machine.
    /// </summary>
    private static MemAwaitable<bool> ScanDue(KernelContext k, NumaConfig numa, MmId mm, int pid)
    {
        long now = k.Actor.Now.Value;
        return k.Mem("task_tick_numa", s =>
        {
            NumaState state = s.Extension<NumaState>();
            MmNuma m = state.Mm(mm);
            TaskNuma t = state.Task(pid, numa);
            if (!m.Started)
            {
                m.Started = true;
                m.NextScan = now + NumaConfig.MsecsToJiffies(numa.ScanDelayMs);
                return false;
            }

            if (now < m.NextScan)
            {
                return false;
            }

            // task_numa_work: the next scan one period from now (the cmpxchg on numa_next_scan).
            m.NextScan = now + NumaConfig.MsecsToJiffies(t.ScanPeriodMs);
            m.LogScan(now);
            return true;
        });
    }

    /// <summary>
    /// task_numa_work's pass: under mmap_lock for read, change_prot_numa over every VMA the policy lets
    /// NUMA balancing move (vma_migratable, vma_policy_mof, vma_is_accessible, not a read-only file
    /// mapping), then numa_scan_seq++ (reset_ptenuma_scan). No lock held on entry or return.
    /// </summary>
    private static async ActorTask TaskNumaWork(KernelContext k, MmId mm, int pid)
    {
        k.AssertNoLocksHeld("task_numa_work");
        await k.MmapReadLock(mm);
        AddrRange[] ranges = await k.Mem("task_numa_work", s =>
        {
            TaskNuma? t = s.Extension<NumaState>().FindTask(pid);
            if (t is null || !t.PolicyMof)
            {
                return [];
            }

            return s.Mm(mm).Vmas.All
                .Where(v => v.IsAccessible && !(v.VmFile is not null && (v.VmFlags & (VmFlags.Read | VmFlags.Write)) == VmFlags.Read))
                .Select(v => new AddrRange(v.VmStart, v.VmEnd))
                .ToArray();
        });
        foreach (AddrRange range in ranges)
        {
            if (await ChangeProtNuma(k, mm, range))
            {
                await k.FlushTlbMmRange(mm, range, freedTables: false); // flush_tlb_range in change_protection
            }
        }

        await k.Mem("reset_ptenuma_scan", s => ++s.Extension<NumaState>().Mm(mm).ScanSeq);
        k.MmapReadUnlock(mm);
    }

    /// <summary>
    /// change_prot_numa → change_protection(MM_CP_PROT_NUMA): each resident page of the range becomes
    /// PAGE_NONE under its PTE lock, keeping its pfn. Skipped, as change_pte_range skips them: PTEs already
    /// PROT_NONE, the zero page and special mappings, and pages of a private mapping that another mapping
    /// shares (COW). Returns whether any PTE changed. Caller holds mmap_lock for read.
    /// </summary>
    private static ActorTask<bool> ChangeProtNuma(KernelContext k, MmId mm, AddrRange range) =>
        Syscalls.ChangeProtectionRange(k, mm, range, " (prot_numa)", (s, table) => ChangePteRangeNuma(s, mm, table, range));

    private static bool ChangePteRangeNuma(KernelState s, MmId mm, PtePageId table, AddrRange range)
    {
        MmStruct m = s.Mm(mm);
        PageTable pgd = m.Pgd;
        VmArea vma = m.Vmas.VmaLookup(range.Start) ?? throw new KernelBugException($"no VMA at {range.Start} under mmap_lock");
        bool cow = (vma.VmFlags & (VmFlags.Shared | VmFlags.MayWrite)) == VmFlags.MayWrite;
        AddrRange part = Syscalls.ClampToTable(range, table, pgd);
        long protectedCount = 0;
        for (VirtAddr addr = part.Start; addr < part.End; addr += PageGeometry.PageSize)
        {
            Pte old = pgd.GetPte(addr);
            if (!old.IsPresent || old.IsProtNone || old.IsSpecial || old.Pfn == FrameAllocator.ZeroPfn)
            {
                continue;
            }

            if (cow && s.Frames.PageMapCount(old.Pfn) > 1)
            {
                continue; // skip shared copy-on-write pages
            }

            pgd.SetPteAt(addr, old.PteModify(PgProt.PageNone));
            protectedCount++;
        }

        s.Extension<NumaState>().Mm(mm).PtesProtected += protectedCount;
        return protectedCount > 0;
    }
}
