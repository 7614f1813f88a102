using System.Globalization;

namespace ShadowPt.Kernel;

/// <summary>What one CPU runs at one step: a task, or its idle task (pid 0, <c>swapper/N</c>).</summary>
/// <param name="Cpu">The CPU.</param>
/// <param name="Pid">per_cpu(current_task, cpu)->pid; 0 for the idle task.</param>
/// <param name="Comm">The task's comm; <c>swapper/N</c> for the idle task, as ps shows it.</param>
/// <param name="LoadedMm">cpu_tlbstate.loaded_mm: whose translations the CPU uses (the idle task borrows one lazily).</param>
/// <param name="IsLazy">Whether the idle task runs in lazy TLB mode on <paramref name="LoadedMm"/>.</param>
public readonly record struct CpuCurrent(CpuId Cpu, int Pid, string Comm, MmId? LoadedMm, bool IsLazy)
{
    public bool IsIdle => Pid == 0;

    /// <summary><c>cpu0: target-1</c>, or <c>cpu1: swapper/1 (idle, lazy mm1)</c>.</summary>
    public override string ToString() => IsIdle
        ? string.Create(CultureInfo.InvariantCulture, $"{Cpu}: {Comm} (idle{(IsLazy && LoadedMm is MmId mm ? $", lazy {mm}" : "")})")
        : string.Create(CultureInfo.InvariantCulture, $"{Cpu}: {Comm}-{Pid}");
}

/// <summary>
/// The per-cpu current view: which task each CPU runs at this step, <c>per_cpu(current_task, cpu)</c>.
/// Read from the per-cpu state each CPU writes in its context switch (<c>context_switch</c>, or
/// <c>enter_lazy_tlb</c> when it goes idle), so it changes exactly when a CPU's run queue hands it the
/// next task. A pure read of the kernel state: call it only between steps (a strategy's choice, a
/// quiescent point), never from inside a memory operation of another CPU.
/// </summary>
/// <remarks>
/// include/linux/sched.h and arch/x86/include/asm/current.h (current is per_cpu(current_task));
/// kernel/sched/core.c context_switch; arch/x86/mm/tlb.c (cpu_tlbstate.loaded_mm, is_lazy).
/// </remarks>
public static class CurrentTaskView
{
    /// <summary>The idle task's comm on <paramref name="cpu"/>.</summary>
    public static string IdleComm(CpuId cpu) => string.Create(CultureInfo.InvariantCulture, $"swapper/{cpu.Value}");

    /// <summary>Every CPU's current task, in CPU order.</summary>
    public static IReadOnlyList<CpuCurrent> Of(KernelState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var result = new CpuCurrent[state.PerCpu.Count];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = On(state, state.PerCpu[i].Cpu);
        }

        return result;
    }

    /// <summary>The current task of <paramref name="cpu"/>.</summary>
    public static CpuCurrent On(KernelState state, CpuId cpu)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(cpu.Value, state.PerCpu.Count);
        PerCpuState pcs = state.PerCpu[cpu.Value];
        Bug.On(pcs.Cpu != cpu, "per-cpu state out of order");
        if (pcs.CurrentPid == 0)
        {
            return new CpuCurrent(cpu, 0, IdleComm(cpu), pcs.LoadedMm, pcs.IsLazy);
        }

        string comm = state.FindTask(pcs.CurrentPid)?.Comm ?? "?";
        return new CpuCurrent(cpu, pcs.CurrentPid, comm, pcs.LoadedMm, pcs.IsLazy);
    }

    /// <summary>One line: <c>cpu0: target-1 | cpu1: swapper/1 (idle)</c>.</summary>
    public static string Describe(KernelState state) => string.Join(" | ", Of(state));
}
