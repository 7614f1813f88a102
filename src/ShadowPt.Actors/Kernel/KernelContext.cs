using System.Runtime.CompilerServices;
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

    /// <summary>Slots of the label cache (a power of two).</summary>
    public const int LabelSlots = 256;

    /// <summary>Locks held by the running path, innermost last.</summary>
    private readonly List<(LockRef Lock, LockMode Mode)> _held = new();

    /// <summary>
    /// Labels already built, direct-mapped by CPU, task and the identity of the function name (callers
    /// pass literals): a label is asked for on every access, and formatting it each time allocated.
    /// Thread-static rather than per CPU, so the labels of one schedule serve the next ones too (the
    /// same CPUs, pids and functions come back in every schedule of an exploration); a label is an
    /// immutable string, so which run made it does not matter, and no two threads share an entry.
    /// </summary>
    [ThreadStatic]
    private static CachedLabel?[]? _labels;

    /// <summary>Nesting subclass and kernel function of each held lock, parallel to <see cref="_held"/>.</summary>
    private readonly List<(int Subclass, string Place)> _heldMeta = new();

    internal KernelContext(IActorContext actor, IActorRef memory, IReadOnlyList<IActorRef> cpus, CpuId cpu, MachineConfig config, KernelHooks hooks, KernelEvents? events = null)
    {
        Events = events ?? new KernelEvents();
        VmaHooks = hooks;
        Actor = actor;
        Memory = memory;
        Cpus = cpus;
        Cpu = cpu;
        Config = config;
        Tlb = new Tlb(cpu, config.TlbEntries);
        WatchTlb(events);
    }

    /// <summary>The machine's event stream, which checkers observe.</summary>
    public KernelEvents Events { get; }

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
    public string Label(string function)
    {
        int pid = CurrentPid;
        int cpu = Cpu.Value;
        CachedLabel?[] labels = _labels ??= new CachedLabel?[LabelSlots];
        ref CachedLabel? slot = ref labels[(RuntimeHelpers.GetHashCode(function) ^ pid ^ (cpu * 0x3D)) & (LabelSlots - 1)];
        if (slot is { } cached && cached.Pid == pid && cached.Cpu == cpu && ReferenceEquals(cached.Function, function))
        {
            return cached.Text;
        }

        string label = $"{Cpu} pid {pid} {function}";
        slot = new CachedLabel(cpu, pid, function, label);
        return label;
    }

    /// <summary>Runs <paramref name="body"/> atomically on the kernel state, in the memory-subsystem actor.</summary>
    public MemAwaitable<T> Mem<T>(string what, Func<KernelState, T> body) =>
        new(Actor.Ask<MemReply>(Memory, new MemOp<T>(what, body) { Cpu = Cpu, Pid = CurrentPid }));

    /// <summary>
    /// Runs the static <paramref name="body"/> with <paramref name="args"/> atomically on the kernel state: for
    /// hot paths, where a capturing lambda would cost a closure and a delegate per call. Same message as <c>Mem</c>.
    /// </summary>
    internal MemAwaitable<T> MemWith<T>(string what, Func<KernelState, object, T> body, object args) =>
        new(Actor.Ask<MemReply>(Memory, new MemOp<T>(what, body, args) { Cpu = Cpu, Pid = CurrentPid }));

    /// <summary>Sends <paramref name="op"/>, an operation this CPU keeps and sends again (see <see cref="MemOp.ReuseFor"/>).</summary>
    internal MemAwaitable<T> MemAgain<T>(MemOp<T> op)
    {
        Bug.On(op.Cpu != Cpu, $"{Cpu}: sends a kept memory operation of {op.Cpu}");
        op.ReuseFor(CurrentPid);
        return new(Actor.Ask<MemReply>(Memory, op));
    }

    /// <summary>
    /// Takes <paramref name="lockRef"/>, waiting for it as long as it takes. <paramref name="subclass"/>
    /// annotates a second lock of the same class taken on purpose (mmap_write_lock_nested).
    /// </summary>
    public async ActorTask Lock(LockRef lockRef, LockMode mode, int subclass = 0, [System.Runtime.CompilerServices.CallerMemberName] string place = "")
    {
        var use = new LockUse(lockRef, mode, subclass, place);
        Raise(use, static (o, e) => o.LockAcquiring(e));
        Bug.On(_held.Count >= HeldLocksMax, $"{Cpu}: more than {HeldLocksMax} locks held");
        Bug.On(IndexOfHeld(lockRef, null) >= 0, $"{Cpu}: {lockRef.Name} taken recursively");
        await Actor.Ask<LockGranted>(Memory, new LockRequest(lockRef, mode, Owner));
        NoteHeld(lockRef, mode, subclass, place);
        Raise(use, static (o, e) => o.LockAcquired(e));
    }

    /// <summary>Records a lock taken inside a memory operation (one that never waits).</summary>
    internal void NoteHeld(LockRef lockRef, LockMode mode, int subclass = 0, [System.Runtime.CompilerServices.CallerMemberName] string place = "")
    {
        Bug.On(_held.Count >= HeldLocksMax, $"{Cpu}: more than {HeldLocksMax} locks held");
        _held.Add((lockRef, mode));
        _heldMeta.Add((subclass, place));
    }

    /// <summary>Releases a lock this path holds; ordered after everything this CPU sent before.</summary>
    public void Unlock(LockRef lockRef, LockMode mode, [System.Runtime.CompilerServices.CallerMemberName] string place = "")
    {
        int index = IndexOfHeld(lockRef, mode);
        if (index < 0)
        {
            // Observers (lockdep's "bad unlock balance") report it first; then the model stops.
            Raise(new LockUse(lockRef, mode, 0, place), static (o, e) => o.LockReleasedUnheld(e));
        }

        Bug.On(index < 0, $"{Cpu}: releases {lockRef.Name} ({mode}) that it does not hold");
        int subclass = _heldMeta[index].Subclass;
        _held.RemoveAt(index);
        _heldMeta.RemoveAt(index);

        // Observed before the release leaves: on the threaded scheduler the next holder could
        // otherwise see its grant (and the race checker its acquire) before this release.
        Raise(new LockUse(lockRef, mode, subclass, place), static (o, e) => o.LockReleased(e));
        Memory.Tell(new LockRelease(lockRef, mode, Owner), Actor.Self);
    }

    /// <summary>Tells the observers about a lock operation, with what the path holds now.</summary>
    private void Raise(LockUse use, Action<KernelObserver, LockEvent> call)
    {
        if (!Events.HasObservers)
        {
            return;
        }

        var e = new LockEvent(Cpu, CurrentPid, use, HeldSnapshot(), Actor.InterruptsDisabled, Actor.Step, Actor.Now);
        Events.Raise(e, call);
    }

    /// <summary>The lock contract of a kernel function, checked at run time (mmap_assert_locked and friends).</summary>
    public void AssertHeld(LockRef lockRef, LockMode? mode = null, string? function = null) =>
        Bug.On(IndexOfHeld(lockRef, mode) < 0,
            $"{function ?? "kernel path"} on {Cpu}: caller must hold {lockRef.Name}{(mode is null ? string.Empty : " " + mode)}");

    /// <summary>Checks that the path released everything it took; <paramref name="function"/> is formatted only when it did not.</summary>
    public void AssertNoLocksHeld(object function)
    {
        if (_held.Count > 0)
        {
            throw Bug.Fail($"{function} on {Cpu} returns holding {string.Join(", ", _held.Select(h => h.Lock.Name))}");
        }
    }

    /// <summary>mmap_read_lock; <paramref name="place"/> is the calling kernel function, which lock reports name.</summary>
    public ActorTask MmapReadLock(MmId mm, [CallerMemberName] string place = "") => Lock(new MmapLockRef(mm), LockMode.Shared, 0, place);

    public void MmapReadUnlock(MmId mm, [CallerMemberName] string place = "") => Unlock(new MmapLockRef(mm), LockMode.Shared, place);

    /// <summary>mmap_write_lock; <paramref name="place"/> is the calling kernel function, which lock reports name.</summary>
    public ActorTask MmapWriteLock(MmId mm, [CallerMemberName] string place = "") => Lock(new MmapLockRef(mm), LockMode.Exclusive, 0, place);

    public void MmapWriteUnlock(MmId mm, [CallerMemberName] string place = "") => Unlock(new MmapLockRef(mm), LockMode.Exclusive, place);

    /// <summary>mmap_write_downgrade: the write lock becomes a read lock without letting a writer in between.</summary>
    public async ActorTask MmapWriteDowngrade(MmId mm)
    {
        var lockRef = new MmapLockRef(mm);
        int index = IndexOfHeld(lockRef, LockMode.Exclusive);
        Bug.On(index < 0, $"{Cpu}: mmap_write_downgrade without the write lock of {mm}");
        LockOwner owner = Owner;
        Raise(new LockUse(lockRef, LockMode.Exclusive, _heldMeta[index].Subclass, _heldMeta[index].Place), static (o, e) => o.LockDowngraded(e));
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

    /// <summary>The innermost held entry of <paramref name="lockRef"/> (in <paramref name="mode"/> when given), or -1. A loop, not a lambda: it runs on every lock operation.</summary>
    private int IndexOfHeld(LockRef lockRef, LockMode? mode)
    {
        for (int i = _held.Count - 1; i >= 0; i--)
        {
            (LockRef held, LockMode heldMode) = _held[i];
            if (held == lockRef && (mode is null || heldMode == mode))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>mmap_assert_locked: mmap_lock held in either mode.</summary>
    public void MmapAssertLocked(MmId mm, string function) => AssertHeld(new MmapLockRef(mm), null, function);

    /// <summary>mmap_assert_write_locked.</summary>
    public void MmapAssertWriteLocked(MmId mm, string function) => AssertHeld(new MmapLockRef(mm), LockMode.Exclusive, function);
}

/// <summary>A frame-history label of one task and kernel function.</summary>
internal sealed record CachedLabel(int Cpu, int Pid, string Function, string Text);
