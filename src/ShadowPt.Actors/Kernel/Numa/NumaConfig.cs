namespace ShadowPt.Kernel;

/// <summary>
/// A NUMA topology and automatic NUMA balancing (kernel.numa_balancing). CPUs and frames are split
/// into <see cref="Nodes"/> contiguous blocks: CPU c is on node <c>c * Nodes / Cpus</c>, frame pfn on
/// node <c>pfn * Nodes / Frames</c>.
/// </summary>
/// <remarks>
/// Time: one simulated tick is one jiffy at HZ=250, <see cref="MsPerTick"/> milliseconds (the seed's
/// Ubuntu 3.13 kernel had CONFIG_HZ=250). The sysctls keep their kernel defaults:
/// numa_balancing_scan_delay_ms 1000, scan_period_min_ms 1000, scan_period_max_ms 60000
/// (kernel/sched/fair.c).
/// </remarks>
public sealed record NumaConfig
{
    /// <summary>Most nodes (MAX_NUMNODES of a small config).</summary>
    public const int NodesMax = 8;

    /// <summary>Milliseconds per tick: HZ=250.</summary>
    public const int MsPerTick = 4;

    /// <summary>Kernel default of ratelimit_pages (128 MiB of 4 KiB pages per migrate_interval_millisecs).</summary>
    public const int RatelimitPagesDefault = 128 << (20 - 12);

    public int Nodes { get; init; } = 2;

    /// <summary>kernel.numa_balancing: the scanner runs (it needs more than one node, as in the kernel).</summary>
    public bool Balancing { get; init; } = true;

    /// <summary>sysctl numa_balancing_scan_delay_ms: the first scan of a task comes this long after it first runs.</summary>
    public int ScanDelayMs { get; init; } = 1000;

    /// <summary>sysctl numa_balancing_scan_period_min_ms.</summary>
    public int ScanPeriodMinMs { get; init; } = 1000;

    /// <summary>sysctl numa_balancing_scan_period_max_ms: the ceiling, "an absolute ceiling of 1 minute" in the seed.</summary>
    public int ScanPeriodMaxMs { get; init; } = 60000;

    /// <summary>
    /// ratelimit_pages: pages one node may take in by NUMA migration per 100 ms window
    /// (numamigrate_update_ratelimit); the kernel's default is 128 MiB worth.
    /// </summary>
    public int RatelimitPages { get; init; } = RatelimitPagesDefault;

    /// <summary>Whether the scanner runs on this machine.</summary>
    public bool BalancingActive => Balancing && Nodes > 1;

    /// <summary>cpu_to_node.</summary>
    public int CpuToNode(CpuId cpu, int cpus) => (int)((long)cpu.Value * Nodes / cpus);

    /// <summary>page_to_nid.</summary>
    public int PfnToNode(Pfn pfn, int frames) => (int)((long)pfn.Value * Nodes / frames);

    /// <summary>msecs_to_jiffies: rounds up to whole ticks.</summary>
    public static long MsecsToJiffies(long ms) => (ms + MsPerTick - 1) / MsPerTick;

    /// <summary>jiffies_to_msecs.</summary>
    public static long JiffiesToMsecs(long jiffies) => jiffies * MsPerTick;

    public void Validate(MachineConfig machine)
    {
        ArgumentNullException.ThrowIfNull(machine);
        ArgumentOutOfRangeException.ThrowIfLessThan(Nodes, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Nodes, Math.Min(NodesMax, machine.Cpus));
        ArgumentOutOfRangeException.ThrowIfLessThan(ScanPeriodMinMs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(ScanPeriodMaxMs, ScanPeriodMinMs);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(ScanPeriodMaxMs, 3_600_000);
        ArgumentOutOfRangeException.ThrowIfNegative(ScanDelayMs);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(ScanDelayMs, 3_600_000);
        ArgumentOutOfRangeException.ThrowIfNegative(RatelimitPages);
    }
}
