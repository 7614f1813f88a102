using ShadowPt.Runtime.Async;

namespace ShadowPt.Kernel;

/// <summary>do_numa_page: the NUMA hinting fault.</summary>
public static partial class Fault
{
    /// <summary>What do_numa_page decided under the PTE lock.</summary>
    private readonly record struct NumaDecision(bool Same, Pfn Pfn, int PageNid, bool Local, bool Private, Pfn? Target, bool MigrateFailed);

    /// <summary>
    /// do_numa_page: a user access hit a PROT_NONE PTE of an accessible VMA, which only the NUMA
    /// scanner makes. Restore access with the VMA's protection (writable again when the page may be,
    /// can_change_pte_writable), and when the page lies on another node than the faulting CPU and the
    /// two-stage filter agrees (should_numa_migrate_memory: the page's previous hinting fault came from
    /// this node too, or there was none), migrate it there first. Then task_numa_fault records the fault.
    /// It is a minor fault, mlocked or not: mlock keeps a page resident, not accessible.
    /// We enter with mmap_lock held for read, no PTE lock; return the same way.
    /// </summary>
    /// <remarks>
    /// mm/memory.c do_numa_page and numa_migrate_check, mm/mempolicy.c mpol_misplaced, mm/migrate.c
    /// migrate_misplaced_folio (with numamigrate_update_ratelimit of Linux 3.13–5.x). Only a page this
    /// mapping has to itself (one map, one reference) is migrated: the model has no rmap walk to move the
    /// other mappings; the rest stay put (TNF_MIGRATE_FAIL) and just get their access back.
    /// </remarks>
    public static async ActorTask<VmFault> DoNumaPage(KernelContext k, VmArea vma, VirtAddr page, PtePageId table, Pte orig)
    {
        MmId mm = k.Mm;
        int pid = k.CurrentPid;
        CpuId cpu = k.Cpu;
        NumaConfig numa = k.Config.Numa ?? new NumaConfig { Nodes = 1, Balancing = false };
        int cpus = k.Config.Cpus;
        int frames = k.Config.Frames;
        long now = k.Actor.Now.Value;
        string who = k.Label("do_numa_page");
        var ptl = new PtlRef(table);
        await k.Lock(ptl, LockMode.Exclusive);
        NumaDecision d = await k.Mem("do_numa_page", s =>
        {
            Pte pte = s.Mm(mm).Pgd.GetPte(page);
            if (!Pte.PteSame(pte, orig))
            {
                return default; // another CPU restored (or changed) it first
            }

            NumaState state = s.Extension<NumaState>();
            TaskNuma task = state.Task(pid, numa);
            Pfn pfn = pte.Pfn;
            int thisNid = numa.CpuToNode(cpu, cpus);
            int pageNid = numa.PfnToNode(pfn, frames);
            (int Cpu, int Pid)? last = state.XchgLastCpupid(s.Frames, pfn, cpu.Value, pid);
            bool priv = last is null || last.Value.Pid == pid;

            // mpol_misplaced: the default policy (MPOL_F_MORON) wants the page on this CPU's node, once the
            // two-stage filter saw this node fault on it twice in a row (or the page was never faulted).
            bool misplaced = task.PolicyMof && pageNid != thisNid
                && (last is null || numa.CpuToNode(new CpuId(last.Value.Cpu), cpus) == thisNid);
            if (!misplaced)
            {
                return new NumaDecision(true, pfn, pageNid, pageNid == thisNid, priv, null, false);
            }

            bool exclusive = s.Frames.Kind(pfn) == FrameKind.Anon && s.Frames.PageMapCount(pfn) == 1 && s.Frames.PageRefCount(pfn) == 1;
            Pfn? target = exclusive && !state.Ratelimited(thisNid, now, numa.RatelimitPages)
                ? s.Frames.AllocPageWhere(FrameKind.Anon, s.Who(who), p => numa.PfnToNode(p, frames) == thisNid)
                : null;
            return new NumaDecision(true, pfn, pageNid, false, priv, target, target is null);
        });
        if (!d.Same)
        {
            k.Unlock(ptl, LockMode.Exclusive);
            return VmFault.None;
        }

        if (d.Target is Pfn target)
        {
            // try_to_migrate's ptep_clear_flush: no CPU may keep a translation of the old frame while it is copied.
            await k.FlushTlbMmRange(mm, new AddrRange(page, page + PageGeometry.PageSize), freedTables: false);
        }

        await k.Mem(d.Target is null ? "do_numa_page restore" : "migrate_misplaced_folio", s =>
        {
            PageTable pgd = s.Mm(mm).Pgd;
            Pte now = pgd.GetPte(page);
            Pfn old = now.Pfn;
            Pfn pfn = old;
            if (d.Target is Pfn to)
            {
                s.Frames.CopyPage(to, old, s.Who(who));
                s.Extension<NumaState>().CopyLastCpupid(s.Frames, old, to);
                s.Frames.AddMapCount(to, s.Who(who));
                now = new Pte((now.Value & ~PteBits.PfnMask) | (to.Value << PageGeometry.PageShift));
                pfn = to;
            }

            Pte restored = now.PteModify(vma.PageProt).PteMkYoung();
            if ((vma.VmFlags & VmFlags.Write) != 0 && !restored.IsWrite && NumaPteMayBeWritable(s, vma, restored, pfn))
            {
                restored = restored.PteMkWrite();
            }

            pgd.SetPteAt(page, restored);
            if (pfn != old)
            {
                s.Frames.RemoveMapCount(old, s.Who(who)); // remove_migration_ptes done: the old frame goes
                s.Frames.PutPage(old, s.Who(who));
            }

            return true;
        });
        if (d.Target is not null)
        {
            await k.VmaHooks.PteMapped(k, mm, page); // the page moved: the shadow entry's pfn changes
        }

        k.Unlock(ptl, LockMode.Exclusive);
        await k.Mem("task_numa_fault", s =>
        {
            TaskNumaFault(s, numa, pid, mm, d, now);
            return true;
        });
        return VmFault.None;
    }

    /// <summary>can_change_pte_writable for a restored PTE: a shared mapping's dirty page, or an anonymous page this mapping alone uses.</summary>
    private static bool NumaPteMayBeWritable(KernelState s, VmArea vma, Pte pte, Pfn pfn)
    {
        if ((vma.VmFlags & VmFlags.Shared) != 0)
        {
            return pte.IsDirty;
        }

        return s.Frames.Kind(pfn) == FrameKind.Anon && s.Frames.PageMapCount(pfn) == 1 && s.Frames.PageRefCount(pfn) == 1;
    }

    /// <summary>
    /// task_numa_fault: first task_numa_placement (once per scan sequence: update_task_scan_period with
    /// the faults since the last placement), then count this fault by privacy and locality (the page's
    /// node before any migration, as TNF_FAULT_LOCAL is set in numa_migrate_check).
    /// </summary>
    private static void TaskNumaFault(KernelState s, NumaConfig numa, int pid, MmId mm, NumaDecision d, long now)
    {
        NumaState state = s.Extension<NumaState>();
        TaskNuma t = state.Task(pid, numa);
        MmNuma m = state.Mm(mm);
        if (t.ScanSeq != m.ScanSeq)
        {
            t.ScanSeq = m.ScanSeq;
            long shared = t.FaultsBuffer[0];
            long priv = t.FaultsBuffer[1];
            t.FaultsBuffer[0] = 0;
            t.FaultsBuffer[1] = 0;
            (int period, bool noFaults) = NumaScanPeriod.Update(t.ScanPeriodMs, t.Locality[1], t.Locality[0], shared, priv, numa.ScanPeriodMinMs, numa.ScanPeriodMaxMs);
            t.ScanPeriodMs = period;
            if (noFaults)
            {
                m.NextScan = now + NumaConfig.MsecsToJiffies(period);
            }
            else
            {
                t.Locality[0] = 0;
                t.Locality[1] = 0;
            }
        }

        t.FaultsBuffer[d.Private ? 1 : 0]++;
        t.Locality[d.Local ? 1 : 0]++;
        t.HintFaults++;
        if (d.Local)
        {
            t.HintFaultsLocal++;
        }

        if (d.Target is not null)
        {
            t.PagesMigrated++;
        }
        else if (d.MigrateFailed)
        {
            t.MigrateFailed++;
        }
    }
}
