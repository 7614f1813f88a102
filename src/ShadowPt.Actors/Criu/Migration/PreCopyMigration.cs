using ShadowPt.Runtime.Async;

namespace ShadowPt.Criu;

/// <summary>
/// Pre-copy live migration (CRIU's iterative pre-dumps to a page server, as <c>criu pre-dump
/// --track-mem --page-server</c> does, and QEMU's RAM migration): send every page while the process runs;
/// then, round after round, send the pages it dirtied (soft-dirty) meanwhile, until fewer than
/// <paramref name="thresholdPages"/> are dirty or <paramref name="roundsMax"/> rounds were sent; then
/// freeze, send the rest, and let the destination restore and resume.
/// </summary>
public sealed class PreCopyMigration(int thresholdPages, int roundsMax) : IMigrationMode
{
    /// <summary>Most rounds a migration may be configured with.</summary>
    public const int RoundsLimit = ImageCodec.ChainMax - 1;

    public string Name => "pre-copy";

    public int ThresholdPages { get; } = thresholdPages >= 0 ? thresholdPages : throw new ArgumentOutOfRangeException(nameof(thresholdPages));

    public int RoundsMax { get; } = roundsMax is >= 1 and <= RoundsLimit ? roundsMax : throw new ArgumentOutOfRangeException(nameof(roundsMax));

    public async ActorTask Run(IMigrationSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        MigrationReport report = source.Report;
        report.Mode = Name;
        int round = 0;
        while (round < RoundsMax)
        {
            if (round > 0)
            {
                int dirty = await source.CountDirty();
                report.DirtyCounts.Add(dirty);
                if (dirty <= ThresholdPages)
                {
                    break;
                }
            }

            int sent = await source.DumpAndSend(round + 1, final: false);
            if (sent < 0)
            {
                report.Error = "the target is gone";
                return;
            }

            report.PagesPerRound.Add(sent);
            round++;
        }

        report.FreezeTick = source.NowTick;
        if (!await source.Freeze())
        {
            report.Error = "the target could not be frozen";
            return;
        }

        int rest = await source.DumpAndSend(round + 1, final: true);
        if (rest < 0)
        {
            report.Error ??= "the target is gone";
            return;
        }

        report.PagesAtFreeze = rest;
    }
}
