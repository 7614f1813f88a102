using ShadowPt.Kernel;
using ShadowPt.Runtime;

namespace ShadowPt.Checking;

/// <summary>
/// A happens-before data-race detector in the spirit of KCSAN, over the accesses the model instruments
/// (<see cref="AccessInstrumentation"/>: the shadow table's words and kernel PTE stores). Each CPU is a
/// unit of sequential execution with a vector clock; clocks are joined only along real synchronisation:
/// lock release → acquire (the releaser's clock travels on the lock), a TLB-flush IPI send → its handler,
/// the acknowledgement → the sender going on, synchronize_srcu after the read sections it waited for, and
/// a task's reply → its next request (and a fork → the child's first). The memory actor's serialisation of
/// memory operations is <em>not</em> an edge: two CPUs' operations on a word are concurrent unless one of
/// these chains orders them.
/// </summary>
/// <remarks>
/// Two accesses to a word race when they come from different CPUs, neither happened before the other,
/// at least one writes, and either one is plain, or both write and one asserts it is the only writer
/// (ASSERT_EXCLUSIVE_WRITER). Per word the detector keeps the last write and, per CPU, the last plain and
/// the last marked read since (FastTrack's epochs, with the accesses kept whole for the report). The first
/// race ends the run with a <c>data-race</c> violation whose report reads like KCSAN's.
/// </remarks>
public sealed partial class RaceDetector : KernelObserver
{
    /// <summary>Distinct words tracked at once; beyond it the history is dropped (a race may be missed, never invented).</summary>
    public const int WordsMax = 1 << 20;

    /// <summary>IPIs or acknowledgements in flight on one channel between two CPUs.</summary>
    public const int ChannelDepthMax = 1 << 12;

    /// <summary>The violation kind.</summary>
    public const string Kind = "data-race";

    private readonly ActorSystem _system;

    /// <summary>The kernel state, read for report details (names, the shadow table, PTE addresses).</summary>
    private readonly KernelState _state;

    /// <summary>Each CPU's clock, indexed by CPU id.</summary>
    private readonly VectorClock[] _cpus;

    /// <summary>Each task's clock, indexed by pid: what its last reply carried back to its process.</summary>
    private readonly List<VectorClock?> _tasks = new();

    /// <summary>Per lock instance: the clock of the last exclusive release and the join of the shared releases.</summary>
    private readonly Dictionary<LockRef, (VectorClock Exclusive, VectorClock Shared)> _locks = new();

    /// <summary>Clocks of IPIs (Ack false) and acknowledgements (Ack true) in flight, FIFO per (from, to) as the channels are.</summary>
    private readonly Dictionary<(int From, int To, bool Ack), Queue<VectorClock>> _channels = new();

    /// <summary>The history of each word, by frame and word offset.</summary>
    private readonly Dictionary<ulong, WordHistory> _words = new();

    /// <summary>A detector for the machine of <paramref name="state"/>: it observes <paramref name="events"/> and installs the access instrumentation.</summary>
    public RaceDetector(ActorSystem system, KernelState state, KernelEvents events)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(events);
        _system = system;
        _state = state;
        _cpus = new VectorClock[state.Config.Cpus];
        for (int i = 0; i < _cpus.Length; i++)
        {
            _cpus[i] = new VectorClock(_cpus.Length);
            _cpus[i].Tick(i); // epochs start at 1: 0 means "never"
        }

        events.Add(this);
        AccessInstrumentation.Install(state, events);
    }

    /// <summary>
    /// As Linux's default CONFIG_KCSAN_REPORT_VALUE_CHANGE_ONLY: races whose write did not change the
    /// word go unreported (assertions always are). Off, every conflicting pair is reported (KCSAN_STRICT).
    /// </summary>
    public bool ReportValueChangeOnly { get; init; } = true;

    /// <summary>The first race found (also reported to the run), or null.</summary>
    public RaceReport? Report { get; private set; }

    /// <summary>Instrumented accesses checked.</summary>
    public long AccessesChecked { get; private set; }

    /// <summary>CPU <paramref name="cpu"/>'s clock now (tests).</summary>
    public VectorClock ClockOf(CpuId cpu) => _cpus[cpu.Value];

    public override void UserOpStarted(in UserOpEvent e)
    {
        if (e.Pid < _tasks.Count && _tasks[e.Pid] is { } task)
        {
            _cpus[e.Cpu.Value].Join(task);
        }
    }

    public override void UserOpDone(in UserOpEvent e)
    {
        VectorClock cpu = _cpus[e.Cpu.Value];
        TaskClock(e.Pid).CopyFrom(cpu);
        if (e.Op is SyscallOp { Call: ForkCall } && e.Result is { Ret: > 0 and <= MachineConfig.TasksMax } forked)
        {
            TaskClock((int)forked.Ret).Join(cpu); // the child's process starts after the parent saw fork return
        }

        cpu.Tick(e.Cpu.Value);
    }

    public override void LockAcquired(LockEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        (VectorClock exclusive, VectorClock shared) = LockClocks(e.Lock.Lock);
        VectorClock cpu = _cpus[e.Cpu.Value];
        cpu.Join(exclusive);
        if (e.Lock.Mode == LockMode.Exclusive)
        {
            cpu.Join(shared); // a writer comes after every reader before it too
        }
    }

    public override void LockReleased(LockEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        (VectorClock exclusive, VectorClock shared) = LockClocks(e.Lock.Lock);
        VectorClock cpu = _cpus[e.Cpu.Value];
        (e.Lock.Mode == LockMode.Exclusive ? exclusive : shared).Join(cpu);
        cpu.Tick(e.Cpu.Value);
    }

    public override void LockDowngraded(LockEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        VectorClock cpu = _cpus[e.Cpu.Value];
        LockClocks(e.Lock.Lock).Exclusive.Join(cpu); // the readers let in now come after what the writer did
        cpu.Tick(e.Cpu.Value);
    }

    public override void SrcuSynchronized(LockEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        _cpus[e.Cpu.Value].Join(LockClocks(e.Lock.Lock).Shared);
    }

    public override void IpiSent(in IpiEvent e) => Send(e.From.Value, e.To.Value, ack: false);

    public override void IpiReceived(in IpiEvent e) => Receive(e.From.Value, e.To.Value, ack: false);

    public override void IpiAcked(in IpiEvent e) => Send(e.To.Value, e.From.Value, ack: true);

    public override void IpiAckReceived(in IpiEvent e) => Receive(e.To.Value, e.From.Value, ack: true);

    private void Send(int from, int to, bool ack)
    {
        if (!_channels.TryGetValue((from, to, ack), out Queue<VectorClock>? queue))
        {
            queue = new Queue<VectorClock>();
            _channels.Add((from, to, ack), queue);
        }

        Bug.On(queue.Count >= ChannelDepthMax, "race detector: too many IPIs in flight between two CPUs");
        var snapshot = new VectorClock(_cpus.Length);
        snapshot.CopyFrom(_cpus[from]);
        queue.Enqueue(snapshot);
        _cpus[from].Tick(from);
    }

    private void Receive(int from, int to, bool ack)
    {
        if (_channels.TryGetValue((from, to, ack), out Queue<VectorClock>? queue) && queue.TryDequeue(out VectorClock? sent))
        {
            _cpus[to].Join(sent);
        }
    }

    private VectorClock TaskClock(int pid)
    {
        Bug.On(pid < 0 || pid > MachineConfig.TasksMax, $"race detector: pid {pid} out of range");
        while (_tasks.Count <= pid)
        {
            _tasks.Add(null);
        }

        return _tasks[pid] ??= new VectorClock(_cpus.Length);
    }

    private (VectorClock Exclusive, VectorClock Shared) LockClocks(LockRef lockRef)
    {
        if (!_locks.TryGetValue(lockRef, out (VectorClock Exclusive, VectorClock Shared) clocks))
        {
            clocks = (new VectorClock(_cpus.Length), new VectorClock(_cpus.Length));
            _locks.Add(lockRef, clocks);
        }

        return clocks;
    }
}
