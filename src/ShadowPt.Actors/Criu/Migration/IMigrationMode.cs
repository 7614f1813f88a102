using ShadowPt.Runtime.Async;

namespace ShadowPt.Criu;

/// <summary>
/// How a live migration moves a process: pre-copy (<see cref="PreCopyMigration"/>: copy while it runs,
/// then freeze and copy the rest) or post-copy (<see cref="PostCopyMigration"/> (freeze, send the layout, resume on the
/// destination at once and fetch each missing page from the source when the destination faults on it,
/// through userfaultfd). A mode drives the source side through <see cref="IMigrationSource"/>.
/// </summary>
public interface IMigrationMode
{
    /// <summary>The mode's name in reports (pre-copy, post-copy).</summary>
    string Name { get; }

    /// <summary>Runs the migration to the point where the destination resumed (or failed).</summary>
    ActorTask Run(IMigrationSource source);
}

/// <summary>What a migration mode can do on the source machine.</summary>
public interface IMigrationSource
{
    /// <summary>The report the run fills.</summary>
    MigrationReport Report { get; }

    /// <summary>Soft-dirty pages of the target now (pagemap, no clear).</summary>
    ActorTask<int> CountDirty();

    /// <summary>
    /// Dumps the target as image <paramref name="index"/> (the previous image its parent; the first is full)
    /// and sends it over the link, waiting for the destination's acknowledgement. A final image is taken
    /// frozen and makes the destination restore and resume. Returns the pages sent, or -1 when the target is gone.
    /// </summary>
    ActorTask<int> DumpAndSend(int index, bool final);

    /// <summary>
    /// Post-copy: dumps the frozen target's layout as image <paramref name="index"/> (no contents, the pages
    /// listed as lazy) and sends it; the destination restores the layout, resumes, and fetches the pages
    /// from this source on fault. Returns the number of lazy pages, or -1 when the target is gone.
    /// </summary>
    ActorTask<int> DumpLayoutAndSend(int index);

    /// <summary>Freezes the target; false when it cannot be frozen.</summary>
    ActorTask<bool> Freeze();

    /// <summary>The current tick.</summary>
    long NowTick { get; }
}
