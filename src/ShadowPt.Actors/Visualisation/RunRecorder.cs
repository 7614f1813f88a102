using ShadowPt.Actors;
using ShadowPt.Kernel;
using ShadowPt.Runtime;
using static ShadowPt.Visualisation.KernelNames;

namespace ShadowPt.Visualisation;

/// <summary>
/// Records a deterministic run for the viewers: a <see cref="KernelObserver"/> on the machine's events
/// (kernel paths, locks, PTE changes, TLB shootdowns and IPIs, shadow writes) plus an observer of the
/// scheduler's deliveries (requests, replies, memory operations) and of quiescent points (shadow
/// snapshots). Like a checker it only watches: a recorded run has the same trace hash as one without.
/// </summary>
public sealed partial class RunRecorder : KernelObserver
{
    private readonly ActorSystem _system;

    /// <summary>The machine watched (null for scenarios without one: deliveries only).</summary>
    private readonly Machine? _machine;

    private readonly TrackTimeline _timeline = new();

    /// <summary>Flow ids of requests delivered to a CPU and not yet started there, per pid.</summary>
    private readonly Dictionary<int, Queue<long>> _requests = new();

    /// <summary>Flow ids of replies sent and not yet delivered, per process actor path.</summary>
    private readonly Dictionary<string, Queue<(int Pid, long Flow)>> _replies = new(StringComparer.Ordinal);

    /// <summary>The process actor that asks for each pid.</summary>
    private readonly Dictionary<int, string> _pathOfPid = new();

    /// <summary>Flow ids of IPIs sent and not yet taken, then of acknowledgements not yet received, per (from, to).</summary>
    private readonly Dictionary<(int From, int To), Queue<long>> _ipis = new();

    private readonly Dictionary<(int From, int To), Queue<long>> _acks = new();

    private RunRecorder(ActorSystem system, Machine? machine)
    {
        _system = system;
        _machine = machine;
        for (int cpu = 0; cpu < (machine?.Config.Cpus ?? 0); cpu++)
        {
            _timeline.AddTrack(cpu, "cpu" + Dec(cpu));
        }
    }

    /// <summary>Attaches a recorder to a deterministic run before it starts (after the scenario's setup).</summary>
    public static RunRecorder Attach(ActorSystem system, Machine? machine)
    {
        ArgumentNullException.ThrowIfNull(system);
        if (!system.IsDeterministic || system.Steps != 0)
        {
            throw new InvalidOperationException("a run recorder is attached to a deterministic run before it starts");
        }

        var recorder = new RunRecorder(system, machine);
        if (machine is not null)
        {
            machine.Events.Add(recorder);
            AccessInstrumentation.Install(machine.State, machine.Events); // the shadow writes; it only reports
        }

        system.AddDeliveryObserver(recorder.Delivered);
        system.AddQuiescentObserver(recorder.Quiescent);
        return recorder;
    }

    /// <summary>The recording, closing the spans still open at the run's last step (call after the run).</summary>
    public RunRecording Finish(string scenario, long steps, Ticks ticks)
    {
        _timeline.CloseAll(steps, ticks);
        NoteCurrent(steps);
        return new RunRecording
        {
            Scenario = scenario,
            Cpus = _machine?.Config.Cpus ?? 0,
            Tracks = _timeline.Tracks,
            Events = _timeline.Events,
            EventsDropped = _timeline.Dropped,
            Snapshots = [.. _snapshots],
            SnapshotsDropped = _snapshotsDropped,
            LockDependencies = [.. _dependencies.Values],
            CurrentChanges = [.. _currentChanges],
            CurrentChangesDropped = _currentChangesDropped,
        };
    }

    public override void UserOpStarted(in UserOpEvent e)
    {
        int cpu = e.Cpu.Value;
        string name = UserOp(e.Op);
        _timeline.Begin("op:" + Dec(e.Pid), new RecordedEvent(e.Step, e.Tick.Value, cpu, e.Pid, RecordedPhase.Begin, e.Op is SyscallOp ? "syscall" : "user", name)
        {
            Fields = UserOpFields(e.Op),
            Ftrace = e.Op is SyscallOp ? "sys_enter_" + name[4..] : null,
        });
        if (_requests.TryGetValue(e.Pid, out Queue<long>? flows) && flows.TryDequeue(out long flow))
        {
            _timeline.Add(new RecordedEvent(e.Step, e.Tick.Value, cpu, e.Pid, RecordedPhase.FlowEnd, "request", "request") { FlowId = flow });
        }
    }

    public override void UserOpDone(in UserOpEvent e)
    {
        int cpu = e.Cpu.Value;
        string key = "op:" + Dec(e.Pid);
        if (_pathOfPid.TryGetValue(e.Pid, out string? path) && _timeline.IsOpen(cpu, key))
        {
            long flow = _timeline.NewFlow();
            _timeline.Add(new RecordedEvent(e.Step, e.Tick.Value, cpu, e.Pid, RecordedPhase.FlowStart, "reply", "reply") { FlowId = flow });
            Queue(_replies, path).Enqueue((e.Pid, flow));
        }

        string name = UserOp(e.Op);
        KeyValuePair<string, string>[] fields = e.Result is UserResult r ? [new("ret", Dec(r.Ret))] : [];
        _timeline.End(cpu, key, e.Step, e.Tick, e.Op is SyscallOp ? "sys_exit_" + name[4..] : null, fields);
    }

    public override void PageFaultEntered(in PageFaultEvent e)
    {
        ulong errorCode = 0x4 | (e.Write ? 0x2UL : 0); // X86_PF_USER | X86_PF_WRITE
        _timeline.Begin("fault:" + Dec(e.Pid), new RecordedEvent(e.Step, e.Tick.Value, e.Cpu.Value, e.Pid, RecordedPhase.Begin, "fault", "do_user_addr_fault")
        {
            Fields = [new("address", Hex(e.Address.Value)), new("error_code", Hex(errorCode))],
            Ftrace = "mm_page_fault",
        });
    }

    public override void PageFaultDone(in PageFaultEvent e) =>
        _timeline.End(e.Cpu.Value, "fault:" + Dec(e.Pid), e.Step, e.Tick, null, [new("result", (e.Result ?? VmFault.None).ToString())]);

    public override void LockAcquiring(LockEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        _timeline.Add(new RecordedEvent(e.Step, e.Tick.Value, e.Cpu.Value, e.Pid, RecordedPhase.Instant, "lock", LockCall(e.Lock.Lock.Class, e.Lock.Mode))
        {
            Fields = LockFields(e.Lock),
            Ftrace = "lock_acquire",
        });
        NoteDependencies(e);
    }

    public override void LockAcquired(LockEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        BeginHold(e, e.Lock.Mode, "lock_acquired");
    }

    public override void LockReleased(LockEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        _timeline.End(e.Cpu.Value, HoldKey(e), e.Step, e.Tick, "lock_release", [.. LockFields(e.Lock), new("call", LockCall(e.Lock.Lock.Class, e.Lock.Mode, release: true))]);
    }

    public override void LockDowngraded(LockEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        _timeline.End(e.Cpu.Value, HoldKey(e), e.Step, e.Tick, "lock_downgrade", LockFields(e.Lock));
        BeginHold(e, LockMode.Shared, null);
    }

    private void BeginHold(LockEvent e, LockMode mode, string? ftrace)
    {
        string name = e.Lock.Lock.Name + (mode == LockMode.Shared ? " (read)" : string.Empty);
        _timeline.Begin(HoldKey(e), new RecordedEvent(e.Step, e.Tick.Value, e.Cpu.Value, e.Pid, RecordedPhase.Begin, "lock", name)
        {
            Fields = [.. LockFields(e.Lock with { Mode = mode }), new("call", LockCall(e.Lock.Lock.Class, mode))],
            Ftrace = ftrace,
        });
    }

    private static string HoldKey(LockEvent e) => "lock:" + Dec(e.Pid) + ":" + e.Lock.Lock.Name;

    private static KeyValuePair<string, string>[] LockFields(LockUse use) =>
        [new("lock", use.Lock.Name), new("class", ClassName(use.Lock.Class)), new("mode", use.Mode == LockMode.Shared ? "read" : "write"), new("at", use.Place)];

    private static Queue<T> Queue<TKey, T>(Dictionary<TKey, Queue<T>> queues, TKey key)
        where TKey : notnull
    {
        if (!queues.TryGetValue(key, out Queue<T>? queue))
        {
            queue = new Queue<T>();
            queues.Add(key, queue);
        }

        return queue;
    }
}
