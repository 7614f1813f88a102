using ShadowPt.Actors;
using ShadowPt.Kernel.Programs;

namespace ShadowPt.Kernel.WriteTracking;

/// <summary>
/// Write tracking with soft-dirty: the process writes 4 to its clear_refs before the tracked phase
/// (clearing the bits and write-protecting the PTEs), and afterwards pagemap bit 55 over the ranges says
/// which pages were written.
/// </summary>
/// <remarks>Documentation/admin-guide/mm/soft-dirty.rst; fs/proc/task_mmu.c.</remarks>
public sealed class SoftDirtyTracker : IWriteTracker
{
    public string Name => "soft-dirty";

    public bool NeedsSoftDirty => true;

    public void MapExtra(ProgramBuilder builder)
    {
    }

    public void Arm(ProgramBuilder builder, WriteTrackWorkload workload)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Step(new ClearRefsStep(null));
    }

    public void Finish(ProgramBuilder builder, WriteTrackWorkload workload)
    {
    }

    /// <summary>Pagemap bit 55 over the workload's ranges.</summary>
    public IReadOnlyList<VirtAddr> WrittenPages(Machine machine, int pid, WriteTrackWorkload workload)
    {
        ArgumentNullException.ThrowIfNull(machine);
        ArgumentNullException.ThrowIfNull(workload);
        return [.. workload.Ranges.SelectMany(r => ProcessMemory.SoftDirtyPages(machine.State, pid, r)).Order()];
    }
}
