using ShadowPt.Spt;

namespace ShadowPt.Visualisation;

/// <summary>What a recorded event is on its track: a span's begin or end, a point, or one end of a flow arrow.</summary>
public enum RecordedPhase : byte
{
    /// <summary>A span opens (a kernel path, a lock hold, an IPI handler, a task waiting for its CPU).</summary>
    Begin,

    /// <summary>The innermost open span of the track closes.</summary>
    End,

    /// <summary>Something happened at one point (a PTE change, a TLB flush, a shadow write, a memory operation).</summary>
    Instant,

    /// <summary>The tail of a flow arrow (an IPI sent, a request sent, an acknowledgement or reply sent).</summary>
    FlowStart,

    /// <summary>The head of a flow arrow, matched to its tail by <see cref="RecordedEvent.FlowId"/>.</summary>
    FlowEnd,
}

/// <summary>
/// A timeline of the run: a simulated CPU, a task (as its user program sees its requests), or the
/// memory subsystem. Id is the CPU number for a CPU, <see cref="RunRecording.TaskTrackBase"/> plus
/// the pid for a task; Name is cpu0, target-1, inspector-2, ...
/// </summary>
public sealed record RecordedTrack(int Id, string Name);

/// <summary>
/// One event of a recorded run, on one track, at one scheduler step (the trace's time axis) and tick.
/// <see cref="Ftrace"/> is the event's name in the ftrace-style log (null: not logged there);
/// <see cref="Fields"/> are its arguments in order, as the log and the trace show them.
/// </summary>
public sealed record RecordedEvent(long Step, long Tick, int Track, int Pid, RecordedPhase Phase, string Category, string Name)
{
    /// <summary>The arguments, in order (key, value).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Fields { get; init; } = [];

    /// <summary>The ftrace event name (mm_page_fault, lock_acquire, ...), or null when the log leaves it out.</summary>
    public string? Ftrace { get; init; }

    /// <summary>Matches a flow's start and end (0 for other events).</summary>
    public long FlowId { get; init; }

    /// <summary>The value of field <paramref name="key"/>, or null.</summary>
    public string? Field(string key)
    {
        foreach (KeyValuePair<string, string> f in Fields)
        {
            if (f.Key == key)
            {
                return f.Value;
            }
        }

        return null;
    }
}

/// <summary>The shadow table and what it should say (the truth from the target's VMAs and PTEs), at one step (Reason: quiescent, or shadow write).</summary>
public sealed record ShadowSnapshot(long Step, long Tick, string Reason, IReadOnlyList<ShadowPte> Table, IReadOnlyList<ShadowPte> Truth)
{
    /// <summary>Indexes of the entries that differ from the truth.</summary>
    public IEnumerable<int> Differences() => Enumerable.Range(0, Math.Min(Table.Count, Truth.Count)).Where(i => Table[i] != Truth[i]);
}

/// <summary>A lock-class dependency "Inner taken while Outer held", with where it first happened.</summary>
public sealed record LockDependency(string Outer, string Inner, string OuterPlace, string InnerPlace, int Cpu, int Pid, long Step);

/// <summary>
/// From step <paramref name="AfterStep"/> on (as it stood after that step; 0: before the first) CPU
/// <paramref name="Cpu"/> ran task <paramref name="Pid"/> (<paramref name="Comm"/>), or its idle task
/// (pid 0, <c>swapper/N</c>): per_cpu(current_task, cpu), recorded when it changes.
/// </summary>
public sealed record CpuCurrentChange(long AfterStep, int Cpu, int Pid, string Comm)
{
    public bool IsIdle => Pid == 0;

    /// <summary><c>target-1</c>, or <c>swapper/1 (idle)</c>.</summary>
    public string Task => IsIdle ? Comm + " (idle)" : Comm + "-" + KernelNames.Dec(Pid);
}

/// <summary>
/// Everything a recorded run produced for the viewers (Perfetto trace, ftrace log, lock graph, HTML
/// report, explanation): the tracks, the events in order, shadow snapshots and lock dependencies,
/// bounded by <see cref="EventsMax"/> and <see cref="SnapshotsMax"/>.
/// </summary>
public sealed class RunRecording
{
    /// <summary>Most events kept; later ones are counted in <see cref="EventsDropped"/>.</summary>
    public const int EventsMax = 200_000;

    /// <summary>Most shadow snapshots kept: the latest ones (the violation is at the end).</summary>
    public const int SnapshotsMax = 400;

    /// <summary>Most shadow entries kept per snapshot.</summary>
    public const int SnapshotEntriesMax = 64;

    /// <summary>Track ids of tasks start here (plus the pid).</summary>
    public const int TaskTrackBase = 1000;

    /// <summary>Track ids of actors start here in scenarios without a machine (in order of first delivery).</summary>
    public const int ActorTrackBase = 100_000;

    /// <summary>The track of the memory-subsystem actor (events of memory operations without a CPU).</summary>
    public const int MemoryTrack = 999;

    /// <summary>The scenario's name.</summary>
    public required string Scenario { get; init; }

    /// <summary>Number of simulated CPUs (0 for scenarios without a machine).</summary>
    public required int Cpus { get; init; }

    public required IReadOnlyList<RecordedTrack> Tracks { get; init; }

    public required IReadOnlyList<RecordedEvent> Events { get; init; }

    public required long EventsDropped { get; init; }

    public required IReadOnlyList<ShadowSnapshot> Snapshots { get; init; }

    public required long SnapshotsDropped { get; init; }

    /// <summary>Lock-class dependencies, sorted by (outer, inner).</summary>
    public required IReadOnlyList<LockDependency> LockDependencies { get; init; }

    /// <summary>Most per-cpu current changes kept (the first ones); later ones are counted in <see cref="CurrentChangesDropped"/>.</summary>
    public const int CurrentChangesMax = 100_000;

    /// <summary>Each CPU's current task as it changed, in step order (empty for scenarios without a machine).</summary>
    public IReadOnlyList<CpuCurrentChange> CurrentChanges { get; init; } = [];

    public long CurrentChangesDropped { get; init; }

    /// <summary>What each CPU ran after step <paramref name="step"/>, in CPU order (CPUs with nothing recorded yet left out).</summary>
    public IReadOnlyList<CpuCurrentChange> CurrentAt(long step)
    {
        var byCpu = new SortedDictionary<int, CpuCurrentChange>();
        foreach (CpuCurrentChange c in CurrentChanges)
        {
            if (c.AfterStep > step)
            {
                break;
            }

            byCpu[c.Cpu] = c;
        }

        return [.. byCpu.Values];
    }

    /// <summary>The run's outcome, filled in after the run.</summary>
    public Scenarios.RunReport? Report { get; set; }

    /// <summary>The name of track <paramref name="id"/>.</summary>
    public string TrackName(int id) => Tracks.FirstOrDefault(t => t.Id == id)?.Name ?? "track" + id.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
