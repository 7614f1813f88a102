using ShadowPt.Runtime.Async;

namespace ShadowPt.Criu;

/// <summary>
/// Post-copy live migration (<c>criu dump --lazy-pages</c> with <c>criu lazy-pages</c> on the destination,
/// and QEMU's postcopy-ram): freeze at once, send the layout and the list of pages but no contents, and
/// let the destination resume the process straight away with its anonymous VMAs registered with
/// userfaultfd (MISSING). Each fault there asks the source for its page over the link; the pages nobody
/// faulted on are fetched in the background. The freeze ends at the first resume, so it is short and
/// does not grow with the memory the process dirties; the price is faults that wait a round trip.
/// </summary>
public sealed class PostCopyMigration : IMigrationMode
{
    public string Name => "post-copy";

    public async ActorTask Run(IMigrationSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        MigrationReport report = source.Report;
        report.Mode = Name;
        report.FreezeTick = source.NowTick;
        if (!await source.Freeze())
        {
            report.Error = "the target could not be frozen";
            return;
        }

        int lazy = await source.DumpLayoutAndSend(1);
        if (lazy < 0)
        {
            report.Error ??= "the target is gone";
            return;
        }

        report.PagesAtFreeze = 0;
    }
}
