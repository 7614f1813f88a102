using ShadowPt.Actors;
using ShadowPt.Kernel.Programs;

namespace ShadowPt.Kernel.WriteTracking;

/// <summary>
/// Write tracking with userfaultfd WP: the process forks a monitor, creates a userfaultfd, registers the
/// ranges in WP mode, write-protects them (UFFDIO_WRITEPROTECT mode WP) and passes the descriptor to the
/// monitor; each first write blocks with a WP fault message, and the monitor records the page and
/// un-write-protects it (mode 0), which wakes the writer. Unmapping a registered sentinel page (an UNMAP
/// event) tells the monitor tracking is over.
/// </summary>
/// <remarks>
/// Documentation/admin-guide/mm/userfaultfd.rst. Only present PTEs can be write-protected (no
/// UFFD_FEATURE_WP_UNPOPULATED in the model), so the workload populates every page before tracking.
/// </remarks>
public sealed class UffdWpTracker : IWriteTracker
{
    /// <summary>The sentinel page's label.</summary>
    public const string DoneLabel = "uffd_done";

    /// <summary>The monitor: the tracked process's second child (the workload forks its writer on the other CPU first).</summary>
    public static readonly ProcessId Monitor = new(2);

    public string Name => "uffd-wp";

    public bool NeedsSoftDirty => false;

    public void MapExtra(ProgramBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Mmap(DoneLabel, 1);
    }

    public void Arm(ProgramBuilder builder, WriteTrackWorkload workload)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(workload);
        builder.Fork(out ProcessId monitor);
        Bug.On(monitor != Monitor, $"uffd-wp tracker: the monitor is {monitor}, not {Monitor}");
        builder.Userfaultfd(UffdFeatures.PagefaultFlagWp | UffdFeatures.EventUnmap);
        foreach (WorkloadMapping m in workload.Mappings)
        {
            builder.UffdRegister(m.Label, 0, m.Pages, UffdRegisterMode.Wp);
        }

        builder.UffdRegister(DoneLabel, 0, 1, UffdRegisterMode.Wp);
        foreach (WorkloadMapping m in workload.Mappings)
        {
            builder.UffdWriteprotect(m.Label, 0, m.Pages, enable: true);
        }

        builder.UffdSend(monitor).UffdRecv(monitor).Step(new UffdWpMonitorStep(0) { Process = monitor });
    }

    public void Finish(ProgramBuilder builder, WriteTrackWorkload workload)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Munmap(DoneLabel, 0, 1).Exit(Monitor);
    }

    /// <summary>What the monitor recorded.</summary>
    public IReadOnlyList<VirtAddr> WrittenPages(Machine machine, int pid, WriteTrackWorkload workload)
    {
        ArgumentNullException.ThrowIfNull(machine);
        return machine.UserLogs.Pages(WriteTrackWorkload.ProgramName(this));
    }
}
