namespace ShadowPt.Kernel;

/// <summary>
/// Everything the memory-subsystem actor owns: physical memory, every mm with its VMAs and page
/// table and mmap_lock, the split page-table locks, the tasks, and the per-CPU state other CPUs may
/// read. Kernel paths reach it only through that actor (<see cref="KernelContext.Mem{T}"/>), one
/// atomic operation per round trip, so the model is safe under the threaded scheduler too.
/// </summary>
public sealed partial class KernelState
{
    /// <summary>mm id of the first mm; ids are never reused.</summary>
    private int _nextMmId = 1;

    /// <summary>The next pid handed out.</summary>
    private int _nextPid = 1;

    /// <summary>
    /// Live and dead mms in creation order: ids are handed out densely from 1 and never reused or
    /// removed, so mm id N sits at index N - 1 (a lookup on every memory operation, and constant time
    /// however many mms there are).
    /// </summary>
    private readonly List<MmStruct> _mms = new();

    /// <summary>Tasks in creation order, pid N at index N - 1; exited tasks stay (as zombies) for their exit code.</summary>
    private readonly List<TaskStruct> _tasks = new();

    /// <summary>State of subsystems built on the kernel (the shadow page table's), by type.</summary>
    private readonly Dictionary<Type, object> _extensions = new();

    /// <summary>Split PTE locks by PTE page, created when first taken (pte_lockptr).</summary>
    private readonly Dictionary<PtePageId, Spinlock> _ptls = new();

    public KernelState(MachineConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        Frames = new FrameAllocator(config.Frames);
        PerCpu = Enumerable.Range(0, config.Cpus).Select(i => new PerCpuState(new CpuId(i))).ToArray();
    }

    public MachineConfig Config { get; }

    /// <summary>The SRCU that mmu_notifier callbacks run under (srcu in mm/mmu_notifier.c).</summary>
    public Srcu NotifierSrcu { get; } = new(LockClass.MmuNotifierSrcu, "mmu_notifier srcu");

    /// <summary>The idx of each owner's open SRCU read sections, innermost last.</summary>
    public Dictionary<LockOwner, Stack<int>> SrcuIdx { get; } = new();

    /// <summary>Locks handed to waiters inside a memory operation (a downgrade); the memory actor answers them after it.</summary>
    public Queue<(LockRef Lock, LockGrant Grant)> PendingGrants { get; } = new();

    /// <summary>Notifier registration ids; never reused.</summary>
    public long NextNotifierId { get; set; } = 1;

    /// <summary>File and shmem pages.</summary>
    public PageCache PageCache { get; } = new();

    /// <summary>anon_vma ids; 0 means none.</summary>
    public long NextAnonVmaId { get; set; } = 1;

    /// <summary>Inode numbers for shmem files (shared anonymous mappings).</summary>
    public ulong NextShmemIno { get; set; } = 0x10000;

    /// <summary>Physical memory.</summary>
    public FrameAllocator Frames { get; }

    /// <summary>Per-CPU shared state, indexed by CPU id.</summary>
    public IReadOnlyList<PerCpuState> PerCpu { get; }

    /// <summary>The scheduler step of the operation running now, for frame histories.</summary>
    public long Step { get; set; }

    public IEnumerable<TaskStruct> Tasks => _tasks;

    public IEnumerable<MmStruct> Mms => _mms;

    /// <summary>Provenance for a frame history: the current step and what did it.</summary>
    public Provenance Who(string what) => new(Step, what);

    /// <summary>mm_alloc: a new mm with the x86-64 default layout; null when no frame is left for its PGD.</summary>
    public MmStruct? MmAlloc(string who)
    {
        MmStruct? mm = MmStruct.MmAlloc(new MmId(_nextMmId), MmLayout.X8664Default() with { MemSoftDirty = Config.MemSoftDirty }, Frames, Who(who));
        if (mm is not null)
        {
            Bug.On(mm.Id.Value != _mms.Count + 1, "mm ids must be dense");
            _nextMmId++;
            _mms.Add(mm);
            WatchPageTable(mm);
        }

        return mm;
    }

    public MmStruct? FindMm(MmId id) => (uint)(id.Value - 1) < (uint)_mms.Count ? _mms[id.Value - 1] : null;

    public MmStruct Mm(MmId id) => FindMm(id) ?? throw new KernelBugException($"no mm {id}");

    /// <summary>A new task; the caller gives it an mm.</summary>
    public TaskStruct NewTask(string comm, int parentPid, bool superuser)
    {
        if (_tasks.Count >= MachineConfig.TasksMax)
        {
            throw new KernelBugException($"tasks-max {MachineConfig.TasksMax} reached");
        }

        var task = new TaskStruct(_nextPid++, comm, parentPid, superuser);
        Bug.On(task.Pid != _tasks.Count + 1, "pids must be dense");
        _tasks.Add(task);
        return task;
    }

    public TaskStruct Task(int pid) => FindTask(pid) ?? throw new KernelBugException($"no task {pid}");

    public TaskStruct? FindTask(int pid) => (uint)(pid - 1) < (uint)_tasks.Count ? _tasks[pid - 1] : null;

    /// <summary>Most files a machine knows.</summary>
    public const int FilesMax = 256;

    /// <summary>Files that processes may map, by path, with the byte every page of each holds on "disk".</summary>
    private readonly SortedDictionary<string, (MappedFile File, byte Fill)> _files = new(StringComparer.Ordinal);

    /// <summary>Creates a file of <paramref name="pages"/> pages whose every byte is <paramref name="fill"/>.</summary>
    public MappedFile CreateFile(string path, long pages, byte fill, bool writable = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pages);
        Bug.On(_files.Count >= FilesMax, "too many files");
        Bug.On(_files.ContainsKey(path), $"file {path} exists");
        var file = new MappedFile(0x1000 + (ulong)_files.Count, 8, 1, path, pages, writable);
        _files.Add(path, (file, fill));
        return file;
    }

    /// <summary>Every file of the machine with the byte its pages hold on "disk", in path order.</summary>
    public IEnumerable<(MappedFile File, byte Fill)> Files => _files.Values;

    /// <summary>The file at <paramref name="path"/>, or null.</summary>
    public MappedFile? FindFile(string path) => _files.TryGetValue(path, out (MappedFile File, byte Fill) f) ? f.File : null;

    /// <summary>The byte the pages of <paramref name="file"/> hold on "disk" (0 for shmem and unknown files).</summary>
    public byte FileFill(MappedFile file) => _files.TryGetValue(file.Path, out (MappedFile File, byte Fill) f) && f.File == file ? f.Fill : (byte)0;

    /// <summary>The subsystem state of type <typeparamref name="T"/> when one exists, without creating it (for observers).</summary>
    public T? TryExtension<T>()
        where T : class => _extensions.TryGetValue(typeof(T), out object? state) ? (T)state : null;

    /// <summary>The state a subsystem keeps in the kernel, created on first use.</summary>

    public T Extension<T>()
        where T : class, new()
    {
        if (!_extensions.TryGetValue(typeof(T), out object? state))
        {
            state = new T();
            _extensions.Add(typeof(T), state);
        }

        return (T)state;
    }

    /// <summary>pte_lockptr: the split lock of a PTE page.</summary>
    public Spinlock PteLockptr(PtePageId page)
    {
        if (!_ptls.TryGetValue(page, out Spinlock? ptl))
        {
            ptl = new Spinlock(LockClass.PageTableLock, $"ptl {page}");
            _ptls.Add(page, ptl);
        }

        return ptl;
    }

    /// <summary>The split PTE locks that exist now (for checks at quiescent points: none may be held).</summary>
    internal IReadOnlyCollection<Spinlock> PageTableLocks => _ptls.Values;

    /// <summary>Drops the lock of a PTE page that was freed; it must not be held.</summary>
    public void ForgetPtl(PtePageId page)
    {
        if (_ptls.Remove(page, out Spinlock? ptl))
        {
            Bug.On(ptl.IsLocked, $"freed PTE page {page} whose lock is held");
        }
    }

    /// <summary>Checks every structure the actor owns.</summary>
    public void AssertInvariants()
    {
        Frames.AssertInvariants();
        foreach (MmStruct mm in _mms)
        {
            if (!mm.IsDead)
            {
                mm.AssertInvariants(Frames);
                mm.MmapLock.AssertInvariants();
            }
        }

        foreach (Spinlock ptl in _ptls.Values)
        {
            ptl.AssertInvariants();
        }
    }
}
