using ShadowPt.Actors;
using ShadowPt.Checking;
using ShadowPt.Kernel;
using ShadowPt.Runtime;

namespace ShadowPt.Scenarios.BuiltIn.Teaching;

/// <summary>
/// An ABBA lock inversion between two kernel paths, for teaching lock ordering. CPU0 maps a file as
/// <c>mmap_region</c> → <c>vma_link</c> does: mmap_lock (write), then the file's i_mmap_rwsem, the order
/// mm/rmap.c documents. CPU1 runs a buggy truncate that holds i_mmap_rwsem (as
/// <c>unmap_mapping_range</c> does) and then takes the mapper's mmap_lock to walk its VMAs. Whether it
/// deadlocks depends on the interleaving: when each takes its first lock before the other takes its
/// second, each waits for the other forever; the deadlock checker reports the cycle. lockdep warns
/// on every interleaving, at the inverted acquisition, before anything hangs.
/// </summary>
/// <remarks>mm/rmap.c (the lock ordering comment), mm/vma.c vma_link, mm/memory.c unmap_mapping_range.</remarks>
public sealed class AbbaScenario : Scenario, IMachineScenario
{
    /// <summary>The checks this scenario knows: the deadlock checker and lockdep (a warning here).</summary>
    public static readonly IReadOnlyList<string> CheckNames = ["deadlock", "lockdep"];

    private HashSet<string> _checks = new(CheckNames, StringComparer.Ordinal);
    private LockdepWarnings? _lockdep;

    public override string Name => "abba";

    public override string Summary => "two CPUs take mmap_lock and a file's i_mmap_rwsem in opposite orders: step them into the ABBA deadlock (lockdep warns, the deadlock checker reports)";

    public override IReadOnlySet<string> Checks => _checks;

    public Machine? Machine { get; private set; }

    public IReadOnlyList<string> Warnings => _lockdep?.Warnings ?? [];

    public override void SelectChecks(IReadOnlySet<string> checks)
    {
        ArgumentNullException.ThrowIfNull(checks);
        _checks = new HashSet<string>(checks.Where(c => CheckNames.Contains(c)), StringComparer.Ordinal);
    }

    public override void Setup(ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        Machine machine = Actors.Machine.Boot(system, new MachineConfig { Cpus = 2, Frames = 64 });
        Machine = machine;
        if (_checks.Contains("lockdep"))
        {
            _lockdep = new LockdepWarnings();
            machine.Events.Add(_lockdep);
        }

        if (_checks.Contains("deadlock") && system.IsDeterministic)
        {
            DeadlockObserver.Attach(system, machine.Events, machine.State);
        }

        int mapper = machine.CreateProcess("mapper");
        int truncator = machine.CreateProcess("truncate");
        MmId mm = machine.State.Task(mapper).Mm!.Id;
        var file = new IMmapRwsemRef("data.bin", new RwSemaphore(LockClass.IMmapRwsem, "data.bin->i_mmap_rwsem"));

        TeachingPathActor.Start(machine, "mapper", 0, mapper, async k =>
        {
            // do_mmap: caller holds mmap_lock for write; vma_link nests i_mmap_rwsem inside it.
            await k.MmapWriteLock(mm, "do_mmap");
            await k.Lock(file, LockMode.Exclusive, 0, "vma_link");
            k.Unlock(file, LockMode.Exclusive, "vma_link");
            k.MmapWriteUnlock(mm, "do_mmap");
        });
        TeachingPathActor.Start(machine, "truncate", 1, truncator, async k =>
        {
            // The bug: mmap_lock taken under i_mmap_rwsem, the reverse of mm/rmap.c's order.
            await k.Lock(file, LockMode.Exclusive, 0, "unmap_mapping_range");
            await k.MmapReadLock(mm, "truncate_walk_vmas");
            k.MmapReadUnlock(mm, "truncate_walk_vmas");
            k.Unlock(file, LockMode.Exclusive, "unmap_mapping_range");
        });
    }

    public override IEnumerable<string> Describe(ActorSystem system) => Warnings;

    /// <summary>
    /// For DPOR: the kernel paths here reach the machine's shared kernel state and its checkers
    /// synchronously, so every actor of this scenario is treated as one group (all deliveries dependent).
    /// </summary>
    public override string? SharedStateGroup(string actorPath) => "kernel";
}
