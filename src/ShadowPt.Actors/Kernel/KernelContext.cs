using ShadowPt.Runtime.Actors;
using ShadowPt.Runtime.Async;

namespace ShadowPt.Kernel;

/// <summary>
/// What a kernel path running on a CPU can do: atomic operations on the shared kernel state
/// (<see cref="Mem{T}"/>), locks, the CPU's own TLB, TLB shootdown and mmu_notifier calls. Every
/// method that awaits is a scheduling point. One kernel path runs on a CPU at a time.
/// </summary>
public sealed partial class KernelContext
{
    /// <summary>Most locks one kernel path may hold at once.</summary>
    public const int HeldLocksMax = 16;

    /// <summary>Locks held by the running path, innermost last.</summary>
    private readonly List<(LockRef Lock, LockMode Mode)> _held = new();

    internal KernelContext(IActorContext actor, IActorRef memory, IReadOnlyList<IActorRef> cpus, CpuId cpu, MachineConfig config, KernelHooks hooks)
    {
        VmaHooks = hooks;
        Actor = actor;
        Memory = memory;
        Cpus = cpus;
        Cpu = cpu;
        Config = config;
        Tlb = new Tlb(cpu, config.TlbEntries);
    }

    /// <summary>Subsystem hooks on the core paths (the shadow page table's).</summary>
    public KernelHooks VmaHooks { get; }

    /// <summary>The CPU actor's context.</summary>
    public IActorContext Actor { get; }

    /// <summary>The memory-subsystem actor.</summary>
    public IActorRef Memory { get; }

    /// <summary>Every CPU actor, indexed by CPU id.</summary>
    public IReadOnlyList<IActorRef> Cpus { get; }

    public CpuId Cpu { get; }

    public MachineConfig Config { get; }

    /// <summary>This CPU's TLB.</summary>
    public Tlb Tlb { get; }

    /// <summary>current: the task whose kernel path runs; 0 for the idle task.</summary>
    public int CurrentPid { get; internal set; }

    /// <summary>current->mm; null for the idle task or an exited one.</summary>
    public MmId? CurrentMm { get; internal set; }

    /// <summary>The mm current must have.</summary>
    public MmId Mm => CurrentMm ?? throw new KernelBugException($"{Cpu}: kernel path needs current->mm, but current is pid {CurrentPid} with no mm");

    /// <summary>The lock owner of the running path: the current task.</summary>
    public LockOwner Owner => new(CurrentPid);

    /// <summary>Locks the running path holds, outermost first.</summary>
    public IReadOnlyList<(LockRef Lock, LockMode Mode)> HeldLocks => _held;

    /// <summary>A label for frame histories: CPU, task and kernel function.</summary>
    public string Label(string function) => $"{Cpu} pid {CurrentPid} {function}";

    /// <summary>Runs <paramref name="body"/> atomically on the kernel state, in the memory-subsystem actor.</summary>
    public MemAwaitable<T> Mem<T>(string what, Func<KernelState, T> body) =>
        new(Actor.Ask<MemReply>(Memory, new MemOp<T>(what, body)));

    /// <summary>Takes <paramref name="lockRef"/>, waiting for it as long as it takes.</summary>
    public async ActorTask Lock(LockRef lockRef, LockMode mode)
    {
        Bug.On(_held.Count >= HeldLocksMax, $"{Cpu}: more than {HeldLocksMax} locks held");
        Bug.On(_held.Exists(h => h.Lock == lockRef), $"{Cpu}: {lockRef.Name} taken recursively");
        await Actor.Ask<LockGranted>(Memory, new LockRequest(lockRef, mode, Owner));
        NoteHeld(lockRef, mode);
    }

    /// <summary>Records a lock taken inside a memory operation (one that never waits).</summary>
    internal void NoteHeld(LockRef lockRef, LockMode mode)
    {
        Bug.On(_held.Count >= HeldLocksMax, $"{Cpu}: more than {HeldLocksMax} locks held");
        _held.Add((lockRef, mode));
    }

    /// <summary>Releases a lock this path holds; ordered after everything this CPU sent before.</summary>
    public void Unlock(LockRef lockRef, LockMode mode)
    {
        int index = _held.FindLastIndex(h => h.Lock == lockRef && h.Mode == mode);
        Bug.On(index < 0, $"{Cpu}: releases {lockRef.Name} ({mode}) that it does not hold");
        _held.RemoveAt(index);
        Memory.Tell(new LockRelease(lockRef, mode, Owner), Actor.Self);
    }

    /// <summary>The lock contract of a kernel function, checked at run time (mmap_assert_locked and friends).</summary>
    public void AssertHeld(LockRef lockRef, LockMode? mode = null, string? function = null) =>
        Bug.On(!_held.Exists(h => h.Lock == lockRef && (mode is null || h.Mode == mode)),
            $"{function ?? "kernel path"} on {Cpu}: caller must hold {lockRef.Name}{(mode is null ? string.Empty : " " + mode)}");

    /// <summary>Checks that the path released everything it took.</summary>
    public void AssertNoLocksHeld(string function) =>
        Bug.On(_held.Count > 0, $"{function} on {Cpu} returns holding {string.Join(", ", _held.Select(h => h.Lock.Name))}");

    public ActorTask MmapReadLock(MmId mm) => Lock(new MmapLockRef(mm), LockMode.Shared);

    public void MmapReadUnlock(MmId mm) => Unlock(new MmapLockRef(mm), LockMode.Shared);

    public ActorTask MmapWriteLock(MmId mm) => Lock(new MmapLockRef(mm), LockMode.Exclusive);

    public void MmapWriteUnlock(MmId mm) => Unlock(new MmapLockRef(mm), LockMode.Exclusive);

    /// <summary>mmap_write_downgrade: the write lock becomes a read lock without letting a writer in between.</summary>
    public async ActorTask MmapWriteDowngrade(MmId mm)
    {
        var lockRef = new MmapLockRef(mm);
        int index = _held.FindLastIndex(h => h.Lock == lockRef && h.Mode == LockMode.Exclusive);
        Bug.On(index < 0, $"{Cpu}: mmap_write_downgrade without the write lock of {mm}");
        LockOwner owner = Owner;
        await Mem("mmap_write_downgrade", s =>
        {
            foreach (LockGrant grant in s.Mm(mm).MmapLock.DowngradeWrite(owner))
            {
                s.PendingGrants.Enqueue((lockRef, grant));
            }

            return true;
        });
        _held[index] = (lockRef, LockMode.Shared);
    }

    /// <summary>mmap_assert_locked: mmap_lock held in either mode.</summary>
    public void MmapAssertLocked(MmId mm, string function) => AssertHeld(new MmapLockRef(mm), null, function);

    /// <summary>mmap_assert_write_locked.</summary>
    public void MmapAssertWriteLocked(MmId mm, string function) => AssertHeld(new MmapLockRef(mm), LockMode.Exclusive, function);
}
