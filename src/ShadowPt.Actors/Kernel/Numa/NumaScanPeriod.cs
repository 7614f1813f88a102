namespace ShadowPt.Kernel;

/// <summary>
/// How the NUMA scan period adapts: update_task_scan_period of kernel/sched/fair.c, with the
/// constants of the seed's era (NUMA_PERIOD_SLOTS 10, NUMA_PERIOD_THRESHOLD 3; Linux later raised the
/// threshold to 7).
/// </summary>
/// <remarks>
/// The seed measured fault intervals of 2, 4, 4, 4.8, 8.16, 13.87, 23.588, 40.104, 60, 60 ... seconds.
/// With this rule: the first placement sees no recorded faults, so the period doubles (1 s → 2 s) and
/// numa_next_scan is pushed out by the new period; the second still sees no local or shared fault (the
/// page was remote, and migrated), so it doubles again (4 s) and, on this branch, the locality counts
/// are not reset; the third sees one remote and one local fault: ratio 5, slot 2, +2 × 400 ms (4.8 s);
/// from then on every fault is local: ratio 10, slot 7, +70 % rounded up per slot (8.16, 13.872,
/// 23.588, 40.101 s) until the 60 s ceiling. A period applies from the scan after the placement that set
/// it, and msecs_to_jiffies at HZ=250 rounds 40 101 ms up to 40 104 ms: exactly the seed's numbers.
/// </remarks>
public static class NumaScanPeriod
{
    /// <summary>NUMA_PERIOD_SLOTS.</summary>
    public const int PeriodSlots = 10;

    /// <summary>NUMA_PERIOD_THRESHOLD (Linux 3.14–4.x).</summary>
    public const int PeriodThreshold = 3;

    /// <summary>
    /// update_task_scan_period: the next period from the current one and the faults since the last
    /// update. <c>Slower</c> is the "no hinting faults recorded" branch, which doubles the period,
    /// moves numa_next_scan to now + period and keeps the locality counts.
    /// </summary>
    public static (int PeriodMs, bool NoFaultsRecorded) Update(int periodMs, long local, long remote, long shared, long priv, int minMs, int maxMs)
    {
        if (local + shared == 0)
        {
            return ((int)Math.Min(maxMs, (long)periodMs << 1), true);
        }

        long periodSlot = (periodMs + PeriodSlots - 1) / PeriodSlots; // DIV_ROUND_UP
        long ratio = local + remote == 0 ? 0 : local * PeriodSlots / (local + remote);
        long diff;
        if (ratio >= PeriodThreshold)
        {
            long slot = ratio - PeriodThreshold;
            if (slot == 0)
            {
                slot = 1;
            }

            diff = slot * periodSlot;
        }
        else
        {
            diff = -(PeriodThreshold - ratio) * periodSlot;

            // Scale the speed-up by how private the faults are: scanning faster helps little when shared accesses dominate.
            long privRatio = priv + shared == 0 ? PeriodSlots : ((priv * PeriodSlots) + priv + shared - 1) / (priv + shared);
            diff = diff * privRatio / PeriodSlots;
        }

        return ((int)Math.Clamp(periodMs + diff, minMs, maxMs), false);
    }
}
