using ShadowPt.Runtime.Async;

namespace ShadowPt.Kernel;

/// <summary>
/// Reaching another process's mm from a system call, as /proc/PID files and process_madvise do:
/// find the task (by its comm, like <c>pidof</c>, or by pid), take a reference on its mm
/// (get_task_mm: mm_users), and drop it afterwards (mmput: the last user tears the mm down).
/// </summary>
/// <remarks>kernel/fork.c get_task_mm and mmput; fs/proc/base.c get_proc_task.</remarks>
public static class ProcTarget
{
    /// <summary>pidof: the lowest live pid whose comm is <paramref name="comm"/>, or 0.</summary>
    public static int Pidof(KernelState s, string comm)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(comm);
        TaskStruct? task = s.Tasks.FirstOrDefault(t => !t.Exited && t.Mm is not null && t.Comm == comm);
        return task?.Pid ?? 0;
    }

    /// <summary>
    /// get_task_mm of pid <paramref name="pid"/> (0: the current task, <paramref name="comm"/> when given: pidof it).
    /// Returns the mm with one more user, or null (-ESRCH) when the task is gone or has no mm. No locks held.
    /// </summary>
    public static MemAwaitable<MmId?> GetTaskMm(KernelContext k, int pid, string? comm = null)
    {
        ArgumentNullException.ThrowIfNull(k);
        int self = k.CurrentPid;
        return k.Mem("get_task_mm", s =>
        {
            int target = comm is not null ? Pidof(s, comm) : pid == 0 ? self : pid;
            if (s.FindTask(target) is not { Exited: false, Mm: MmStruct mm } || mm.IsDead)
            {
                return (MmId?)null;
            }

            mm.MmUsers++;
            return mm.Id;
        });
    }

    /// <summary>mmput: drops the reference <see cref="GetTaskMm"/> took; the last user runs exit_mmap. No locks held.</summary>
    public static async ActorTask MmPut(KernelContext k, MmId mm)
    {
        ArgumentNullException.ThrowIfNull(k);
        bool last = await k.Mem("mmput", s => --s.Mm(mm).MmUsers == 0);
        if (last)
        {
            await Syscalls.ExitMmap(k, mm);
        }
    }
}
