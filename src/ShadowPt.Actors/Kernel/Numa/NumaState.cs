namespace ShadowPt.Kernel;

/// <summary>set_mempolicy modes the model knows (include/uapi/linux/mempolicy.h).</summary>
public enum MemPolicyMode
{
    /// <summary>MPOL_DEFAULT: allocate locally; carries MPOL_F_MOF, so NUMA balancing scans the task.</summary>
    Default = 0,

    /// <summary>MPOL_BIND: memory only from the given nodes; without MPOL_F_NUMA_BALANCING it is not MOF, so the scanner skips the task's VMAs.</summary>
    Bind = 2,
}

/// <summary>The NUMA-balancing state of one task (the numa_* fields of task_struct) and its memory policy.</summary>
public sealed class TaskNuma
{
    /// <summary>numa_scan_period, in milliseconds.</summary>
    public int ScanPeriodMs { get; set; }

    /// <summary>numa_scan_seq: the mm's scan sequence at the last placement.</summary>
    public int ScanSeq { get; set; }

    /// <summary>numa_faults_buffer by privacy: [0] shared, [1] private, since the last placement.</summary>
    public long[] FaultsBuffer { get; } = new long[2];

    /// <summary>numa_faults_locality: [0] remote, [1] local, since the last scan-period update.</summary>
    public long[] Locality { get; } = new long[2];

    /// <summary>NUMA hinting faults taken (the numa_hint_faults vmstat of this task).</summary>
    public long HintFaults { get; set; }

    /// <summary>Of those, on a page already on the task's node (numa_hint_faults_local).</summary>
    public long HintFaultsLocal { get; set; }

    /// <summary>numa_pages_migrated.</summary>
    public long PagesMigrated { get; set; }

    /// <summary>Migrations that failed (rate limit, no free frame on the node, page not exclusive).</summary>
    public long MigrateFailed { get; set; }

    /// <summary>The task's memory policy (set_mempolicy).</summary>
    public MemPolicyMode Policy { get; set; }

    /// <summary>The node mask of <see cref="Policy"/> (bit n = node n).</summary>
    public ulong PolicyNodes { get; set; }

    /// <summary>vma_policy_mof for the task policy: whether NUMA balancing may move this task's memory.</summary>
    public bool PolicyMof => Policy == MemPolicyMode.Default;
}

/// <summary>The NUMA-balancing state of one mm (numa_next_scan, numa_scan_seq) and the scans it had.</summary>
public sealed class MmNuma
{
    /// <summary>Most scan times kept per mm.</summary>
    public const int ScanLogMax = 256;

    private readonly List<long> _scans = new();

    /// <summary>Whether numa_next_scan was set (the kernel tests it for zero).</summary>
    public bool Started { get; set; }

    /// <summary>numa_next_scan, in ticks.</summary>
    public long NextScan { get; set; }

    /// <summary>numa_scan_seq: completed passes over the address space.</summary>
    public int ScanSeq { get; set; }

    /// <summary>Ticks at which task_numa_work scanned, the first <see cref="ScanLogMax"/>.</summary>
    public IReadOnlyList<long> ScanTicks => _scans;

    /// <summary>PTEs made PROT_NONE over all scans.</summary>
    public long PtesProtected { get; set; }

    public void LogScan(long tick)
    {
        if (_scans.Count < ScanLogMax)
        {
            _scans.Add(tick);
        }
    }
}

/// <summary>NUMA balancing in the kernel state (<see cref="KernelState.Extension{T}"/>).</summary>
public sealed class NumaState
{
    /// <summary>migrate_interval_millisecs: the rate-limit window.</summary>
    public const int MigrateIntervalMs = 100;

    private readonly Dictionary<int, TaskNuma> _tasks = new();
    private readonly Dictionary<MmId, MmNuma> _mms = new();

    /// <summary>The page's last_cpupid (page flags): the CPU and pid of its last hinting fault, valid for one allocation (generation) of the frame.</summary>
    private readonly Dictionary<Pfn, (int Generation, int Cpu, int Pid)> _lastCpupid = new();

    /// <summary>Per node: the end of the rate-limit window and pages migrated in it.</summary>
    private readonly Dictionary<int, (long WindowEnd, long Pages)> _ratelimit = new();

    public TaskNuma Task(int pid, NumaConfig config)
    {
        if (!_tasks.TryGetValue(pid, out TaskNuma? t))
        {
            t = new TaskNuma { ScanPeriodMs = config.ScanDelayMs < config.ScanPeriodMinMs ? config.ScanPeriodMinMs : config.ScanDelayMs };
            _tasks.Add(pid, t);
        }

        return t;
    }

    public TaskNuma? FindTask(int pid) => _tasks.GetValueOrDefault(pid);

    public MmNuma Mm(MmId mm)
    {
        if (!_mms.TryGetValue(mm, out MmNuma? m))
        {
            m = new MmNuma();
            _mms.Add(mm, m);
        }

        return m;
    }

    public MmNuma? FindMm(MmId mm) => _mms.GetValueOrDefault(mm);

    /// <summary>page_cpupid_xchg_last: records (cpu, pid) on the page and returns the previous one (null: unset).</summary>
    public (int Cpu, int Pid)? XchgLastCpupid(FrameAllocator frames, Pfn pfn, int cpu, int pid)
    {
        int generation = frames.Generation(pfn);
        (int Cpu, int Pid)? last = _lastCpupid.TryGetValue(pfn, out (int Generation, int Cpu, int Pid) l) && l.Generation == generation ? (l.Cpu, l.Pid) : null;
        _lastCpupid[pfn] = (generation, cpu, pid);
        return last;
    }

    /// <summary>Migration copies last_cpupid to the new page (folio_xchg_last_cpupid in folio_migrate_flags).</summary>
    public void CopyLastCpupid(FrameAllocator frames, Pfn from, Pfn to)
    {
        if (_lastCpupid.TryGetValue(from, out (int Generation, int Cpu, int Pid) l) && l.Generation == frames.Generation(from))
        {
            _lastCpupid[to] = (frames.Generation(to), l.Cpu, l.Pid);
        }
    }

    /// <summary>numamigrate_update_ratelimit: true when <paramref name="node"/> took too many pages in this window.</summary>
    public bool Ratelimited(int node, long now, int ratelimitPages)
    {
        (long windowEnd, long pages) = _ratelimit.GetValueOrDefault(node);
        if (now > windowEnd)
        {
            pages = 0;
            windowEnd = now + NumaConfig.MsecsToJiffies(MigrateIntervalMs);
        }

        if (pages > ratelimitPages)
        {
            _ratelimit[node] = (windowEnd, pages);
            return true;
        }

        _ratelimit[node] = (windowEnd, pages + 1);
        return false;
    }
}
