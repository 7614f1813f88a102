using ShadowPt.Kernel;
using ShadowPt.Runtime;
using ShadowPt.Spt;
using static ShadowPt.Visualisation.KernelNames;

namespace ShadowPt.Visualisation;

/// <summary>The recorder's shadow-table side, its lock dependencies, and the scheduler's deliveries.</summary>
public sealed partial class RunRecorder
{
    /// <summary>The latest snapshots, oldest first, at most <see cref="RunRecording.SnapshotsMax"/>.</summary>
    private readonly Queue<ShadowSnapshot> _snapshots = new();

    private long _snapshotsDropped;

    /// <summary>A shadow word was written since the last snapshot: take one when the writing operation is over.</summary>
    private bool _shadowDirty;

    /// <summary>The first place each lock-class dependency happened, sorted by (outer, inner).</summary>
    private readonly SortedDictionary<(string Outer, string Inner), LockDependency> _dependencies = new();

    public override void MemoryAccessed(in MemoryAccess access)
    {
        if (access.Space != AccessSpace.KernelWord || !access.Write || _machine?.State.TryExtension<SptState>() is not SptState table)
        {
            return;
        }

        int frame = -1;
        for (int i = 0; i < table.Frames.Count; i++)
        {
            if (table.Frames[i] == access.Frame)
            {
                frame = i;
                break;
            }
        }

        if (frame < 0)
        {
            return;
        }

        long bytes = ((long)frame * (long)PageGeometry.PageSize) + access.Offset;
        long entry = bytes / Spt.Spt.ShadowPteBytes;
        long word = bytes % Spt.Spt.ShadowPteBytes / 8;
        _shadowDirty = true;
        _timeline.Add(new RecordedEvent(access.Step, _system.Now.Value, access.Cpu.Value, access.Pid, RecordedPhase.Instant, "shadow", "shadowpt: write entry " + Dec(entry))
        {
            Fields = [new("entry", Dec(entry)), new("word", Dec(word)), new("old", Hex(access.OldValue)), new("new", Hex(access.NewValue)), new("marking", access.Marking.ToString()), new("by", access.Function)],
            Ftrace = "shadowpt_write",
        });
    }

    /// <summary>Lockdep's dependency edges: each held class before the one being acquired.</summary>
    private void NoteDependencies(LockEvent e)
    {
        string inner = ClassName(e.Lock.Lock.Class);
        foreach (LockUse held in e.Held)
        {
            string outer = ClassName(held.Lock.Class);
            if (outer != inner && _dependencies.Count < Checking.LockOrderChecker.EdgesMax)
            {
                _dependencies.TryAdd((outer, inner), new LockDependency(outer, inner, held.Place, e.Lock.Place, e.Cpu.Value, e.Pid, e.Step));
            }
        }
    }

    /// <summary>Track ids of actors, for scenarios without a machine (each delivery an instant on its receiver's track).</summary>
    private readonly Dictionary<string, int> _actorTracks = new(StringComparer.Ordinal);

    private void Delivered(Delivery d)
    {
        NoteCurrent(d.Step - 1); // the receiver has not run yet: this is the state after the step before
        if (_machine is null)
        {
            if (!_actorTracks.TryGetValue(d.ReceiverPath, out int track))
            {
                track = RunRecording.ActorTrackBase + _actorTracks.Count;
                _actorTracks.Add(d.ReceiverPath, track);
                _timeline.AddTrack(track, d.ReceiverPath);
            }

            _timeline.Add(new RecordedEvent(d.Step, d.Tick.Value, track, 0, RecordedPhase.Instant, "deliver", d.Message.GetType().Name) { Fields = [new("from", d.SenderPath)] });
            return;
        }

        if (_shadowDirty)
        {
            Snapshot(d.Step - 1, "shadow write");
        }

        switch (d.Message)
        {
            case UserRequest request when d.ReceiverPath.StartsWith("/user/cpu", StringComparison.Ordinal):
                RequestDelivered(d, request);
                break;
            case UserResult when _replies.TryGetValue(d.ReceiverPath, out Queue<(int Pid, long Flow)>? replies) && replies.TryDequeue(out (int Pid, long Flow) reply):
                int track = RunRecording.TaskTrackBase + reply.Pid;
                _timeline.Add(new RecordedEvent(d.Step, d.Tick.Value, track, reply.Pid, RecordedPhase.FlowEnd, "reply", "reply") { FlowId = reply.Flow });
                _timeline.End(track, "request", d.Step, d.Tick);
                break;
            case MemOp op when op.Cpu is CpuId cpu:
                _timeline.Add(new RecordedEvent(d.Step, d.Tick.Value, cpu.Value, op.Pid, RecordedPhase.Instant, "mem", op.What));
                break;
        }
    }

    /// <summary>A task's request reaches its CPU: the task's track waits from here until the reply.</summary>
    private void RequestDelivered(Delivery d, UserRequest request)
    {
        int pid = request.Pid;
        int track = RunRecording.TaskTrackBase + pid;
        if (!_timeline.HasTrack(track))
        {
            string comm = _machine?.State.FindTask(pid)?.Comm ?? d.SenderPath[(d.SenderPath.LastIndexOf('/') + 1)..];
            _timeline.AddTrack(track, comm + "-" + Dec(pid));
        }

        _pathOfPid[pid] = d.SenderPath;
        _timeline.Begin("request", new RecordedEvent(d.Step, d.Tick.Value, track, pid, RecordedPhase.Begin, "request", UserOp(request.Op)) { Fields = UserOpFields(request.Op) });
        long flow = _timeline.NewFlow();
        _timeline.Add(new RecordedEvent(d.Step, d.Tick.Value, track, pid, RecordedPhase.FlowStart, "request", "request") { FlowId = flow });
        Queue(_requests, pid).Enqueue(flow);
    }

    private void Quiescent() => Snapshot(_system.Steps, "quiescent");

    /// <summary>The table and the truth now, when a table is open and tracking (identical consecutive snapshots are kept once).</summary>
    private void Snapshot(long step, string reason)
    {
        _shadowDirty = false;
        KernelState? state = _machine?.State;
        if (state?.TryExtension<SptState>() is not { IsOpen: true, Tracking: true } t || !t.Frames.All(state.Frames.IsAllocated))
        {
            return;
        }

        MmStruct? mm = state.FindMm(t.TargetMm);
        int count = Math.Min(t.EntryCount, RunRecording.SnapshotEntriesMax);
        var table = new ShadowPte[count];
        var truth = new ShadowPte[count];
        for (int i = 0; i < count; i++)
        {
            table[i] = new ShadowPte(Peek(state, t, i, 0), Peek(state, t, i, 1), Peek(state, t, i, 2));
            truth[i] = ShadowTruth.Of(mm, t.PageOf(i));
        }

        if (_snapshots.Count > 0 && _snapshots.Last() is { } last && last.Table.SequenceEqual(table) && last.Truth.SequenceEqual(truth))
        {
            return;
        }

        if (_snapshots.Count >= RunRecording.SnapshotsMax)
        {
            _snapshots.Dequeue();
            _snapshotsDropped++;
        }

        _snapshots.Enqueue(new ShadowSnapshot(step, _system.Now.Value, reason, table, truth));
    }

    private static ulong Peek(KernelState state, SptState t, int entry, int word)
    {
        (int frame, int offset) = SptState.WordLocation(entry, word);
        return state.Frames.PeekU64(t.Frames[frame], offset);
    }
}
