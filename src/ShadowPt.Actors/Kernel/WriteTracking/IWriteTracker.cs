using ShadowPt.Actors;
using ShadowPt.Kernel.Programs;

namespace ShadowPt.Kernel.WriteTracking;

/// <summary>
/// One way to find the pages a process wrote: program steps around the workload's tracked phase, and
/// the set of written pages read back after the run. The three implementations (mprotect + SIGSEGV,
/// soft-dirty, userfaultfd WP) must agree on every workload.
/// </summary>
public interface IWriteTracker
{
    /// <summary>Short name: <c>mprotect</c>, <c>soft-dirty</c>, <c>uffd-wp</c>.</summary>
    string Name { get; }

    /// <summary>Whether the machine must track soft-dirty bits (CONFIG_MEM_SOFT_DIRTY).</summary>
    bool NeedsSoftDirty { get; }

    /// <summary>Maps whatever the tracker needs besides the workload's mappings (before populating).</summary>
    void MapExtra(ProgramBuilder builder);

    /// <summary>Steps that start tracking; the tracked process runs them before the tracked phase.</summary>
    void Arm(ProgramBuilder builder, WriteTrackWorkload workload);

    /// <summary>Steps after the tracked phase (ending a monitor).</summary>
    void Finish(ProgramBuilder builder, WriteTrackWorkload workload);

    /// <summary>The pages the tracker reports written in the tracked process <paramref name="pid"/>, ascending; the machine must be quiescent.</summary>
    IReadOnlyList<VirtAddr> WrittenPages(Machine machine, int pid, WriteTrackWorkload workload);
}

/// <summary>The three trackers.</summary>
public static class WriteTrackers
{
    /// <summary>mprotect + SIGSEGV, soft-dirty, userfaultfd WP, in that order.</summary>
    public static IReadOnlyList<IWriteTracker> All { get; } = [new MprotectTracker(), new SoftDirtyTracker(), new UffdWpTracker()];
}
