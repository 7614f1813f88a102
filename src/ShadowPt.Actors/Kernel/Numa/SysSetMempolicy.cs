using ShadowPt.Runtime.Async;

namespace ShadowPt.Kernel;

/// <summary>set_mempolicy(mode, nodemask, maxnode): the calling task's memory policy.</summary>
/// <remarks>
/// mm/mempolicy.c. MPOL_BIND without MPOL_F_NUMA_BALANCING is not MOF (migrate on fault), so
/// task_numa_work skips the task's VMAs: no more NUMA hinting faults, which is the seed's
/// <c>numactl --membind=0</c>. The model does not restrict allocations to the bound nodes.
/// </remarks>
public sealed record SetMempolicyCall(MemPolicyMode Mode, ulong Nodes) : Syscall
{
    public override string Name => "set_mempolicy";
}

public static partial class Syscalls
{
    /// <summary>set_mempolicy: -EINVAL for a bind without nodes, a node the machine lacks, or a default with nodes.</summary>
    private static async ActorTask<long> SysSetMempolicy(KernelContext k, SetMempolicyCall call)
    {
        int nodes = k.Config.Numa?.Nodes ?? 1;
        ulong valid = nodes >= 64 ? ulong.MaxValue : (1UL << nodes) - 1;
        bool ok = call.Mode switch
        {
            MemPolicyMode.Default => call.Nodes == 0,
            MemPolicyMode.Bind => call.Nodes != 0 && (call.Nodes & ~valid) == 0,
            _ => false,
        };
        if (!ok)
        {
            return Err(Errno.EINVAL);
        }

        int pid = k.CurrentPid;
        NumaConfig numa = k.Config.Numa ?? new NumaConfig { Nodes = 1, Balancing = false };
        await k.Mem("do_set_mempolicy", s =>
        {
            TaskNuma t = s.Extension<NumaState>().Task(pid, numa);
            t.Policy = call.Mode;
            t.PolicyNodes = call.Nodes;
            return true;
        });
        return 0;
    }
}
