using ShadowPt.Actors;
using ShadowPt.Kernel.Programs;

namespace ShadowPt.Kernel.WriteTracking;

/// <summary>
/// Write tracking in user space: the process installs a SIGSEGV handler, reads /proc/self/maps and
/// mprotects every writable mapping but the stack to read-only; each first write raises SIGSEGV with
/// SEGV_ACCERR, the handler records the page and mprotects it back, and the write is retried.
/// </summary>
public sealed class MprotectTracker : IWriteTracker
{
    public string Name => "mprotect";

    public bool NeedsSoftDirty => false;

    public void MapExtra(ProgramBuilder builder)
    {
    }

    public void Arm(ProgramBuilder builder, WriteTrackWorkload workload)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Step(new MprotectTrackStep());
    }

    public void Finish(ProgramBuilder builder, WriteTrackWorkload workload)
    {
    }

    /// <summary>What the handler recorded.</summary>
    public IReadOnlyList<VirtAddr> WrittenPages(Machine machine, int pid, WriteTrackWorkload workload)
    {
        ArgumentNullException.ThrowIfNull(machine);
        return machine.UserLogs.Pages(WriteTrackWorkload.ProgramName(this));
    }
}
