using ShadowPt.Runtime.Async;

namespace ShadowPt.Kernel;

/// <summary>exit, execve, and tearing an address space down (exit_mmap).</summary>
public static partial class Syscalls
{
    /// <summary>
    /// do_exit: exit_mm (the task lets go of its mm; the last user tears it down), then the CPU
    /// leaves that mm and runs its idle task. Returns the exit code.
    /// </summary>
    public static async ActorTask<long> DoExit(KernelContext k, int code)
    {
        int pid = k.CurrentPid;
        MmId? mm = k.CurrentMm;
        CpuId cpu = k.Cpu;
        await k.VmaHooks.TaskExiting(k, pid);
        UserfaultfdCtx[] released = [];
        bool lastUser = await k.Mem("exit_mm", s =>
        {
            released = s.FindExtension<UffdState>()?.CloseAll(pid).ToArray() ?? []; // exit_files, folded in
            TaskStruct task = s.Task(pid);
            task.Exited = true;
            task.ExitCode = code;
            MmStruct? m = task.Mm;
            task.Mm = null;
            return m is not null && --m.MmUsers == 0;
        });
        if (mm is MmId dying && lastUser)
        {
            await ExitMmap(k, dying);
        }

        if (released.Length > 0)
        {
            await UffdEvents.Release(k, released); // userfaultfd_release of contexts whose last descriptor closed
        }

        await k.Mem("leave_mm", s =>
        {
            PerCpuState pcs = s.PerCpu[cpu.Value];
            if (pcs.LoadedMm is MmId loaded)
            {
                s.FindMm(loaded)?.CpumaskClearCpu(cpu);
            }

            pcs.LoadedMm = null;
            pcs.CurrentPid = 0;
            pcs.IsLazy = false;
            return true;
        });
        if (mm is MmId left)
        {
            k.Tlb.FlushMm(left);
        }

        k.CurrentPid = 0;
        k.CurrentMm = null;
        return code;
    }

    /// <summary>
    /// exit_mmap: mmu_notifier_release first (subscribers learn the mm is going and are unhooked),
    /// then every VMA is unmapped, every page table freed, the TLBs flushed, the pages freed.
    /// </summary>
    public static async ActorTask ExitMmap(KernelContext k, MmId mm)
    {
        await k.MmuNotifierRelease(mm);
        await k.MmapWriteLock(mm);
        VmArea[] vmas = await k.Mem("exit_mmap", s => s.Mm(mm).Vmas.RemoveAll().ToArray());
        var gather = new List<Pfn>();
        bool cleared = false;
        foreach (VmArea vma in vmas)
        {
            cleared |= await ZapVmaRange(k, mm, vma.Range, gather);
        }

        List<Pfn> tables = await k.Mem("free_pgtables (exit)", s =>
        {
            var unhooked = new List<Pfn>();
            s.Mm(mm).Pgd.FreeAll(unhooked);
            s.Mm(mm).IsDead = true;
            return unhooked;
        });
        var whole = new AddrRange(VirtAddr.Zero, new VirtAddr(PageGeometry.TaskSizeMax));
        await TlbFinishMmu(k, mm, whole, cleared, gather, tables, vmas);
        k.MmapWriteUnlock(mm);
    }

    /// <summary>
    /// execve (exec_mmap): a new mm with just a stack; the task switches to it on this CPU and the old
    /// mm is released (torn down when this was its last user).
    /// </summary>
    private static async ActorTask<long> SysExecve(KernelContext k, string comm)
    {
        int pid = k.CurrentPid;
        CpuId cpu = k.Cpu;
        string who = k.Label("execve");
        (MmId? fresh, MmId old, bool lastUser) = await k.Mem("exec_mmap", s =>
        {
            TaskStruct task = s.Task(pid);
            MmStruct previous = task.Mm!;
            MmStruct? mm = s.MmAlloc(who);
            if (mm is null)
            {
                return ((MmId?)null, previous.Id, false);
            }

            VmArea stack = Mmap.SetupArgPages(mm);
            mm.SetBrkBase(new VirtAddr(0x555555559000));
            task.Mm = mm;
            task.Comm = comm;
            previous.CpumaskClearCpu(cpu);
            mm.CpumaskSetCpu(cpu);
            s.PerCpu[cpu.Value].LoadedMm = mm.Id;
            _ = stack;
            return (mm.Id, previous.Id, --previous.MmUsers == 0);
        });
        if (fresh is not MmId next)
        {
            return Err(Errno.ENOMEM);
        }

        k.CurrentMm = next;
        k.Tlb.FlushMm(old);
        await k.VmaHooks.Exec(k, pid, old, next);
        if (lastUser)
        {
            await ExitMmap(k, old);
        }

        return 0;
    }
}
