using System.Collections.Immutable;
using ShadowPt.Kernel.Programs;

namespace ShadowPt.Kernel.WriteTracking;

/// <summary>A labelled private anonymous read-write mapping of the workload.</summary>
public sealed record WorkloadMapping(string Label, int Pages);

/// <summary>One access of the tracked phase: a read, or a write of <see cref="Value"/>, after <see cref="ThinkTicks"/> ticks.</summary>
public sealed record WorkloadAccess(string Label, int Page, bool Write, byte Value = 0x77, long ThinkTicks = 0);

/// <summary>
/// The workload all three write trackers watch: mappings placed at known addresses (one unmapped page
/// between them), every page populated before tracking (even pages written, odd pages read: the zero
/// page), a child on the other CPU writing its copy-on-write copies while the tracker is set up, then the
/// tracked phase of reads and writes. Which pages the tracked phase writes is known from the program alone.
/// </summary>
public sealed class WriteTrackWorkload
{
    /// <summary>Where the first mapping is placed.</summary>
    public static readonly VirtAddr Base = new(0x10002000);

    /// <summary>Most mappings, pages per mapping and accesses a workload has.</summary>
    public const int MappingsMax = 8, PagesMax = 16, AccessesMax = 256;

    public WriteTrackWorkload(string name, IEnumerable<WorkloadMapping> mappings, IEnumerable<WorkloadAccess> accesses, IEnumerable<WorkloadAccess> noise)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
        Mappings = [.. mappings];
        Accesses = [.. accesses];
        Noise = [.. noise];
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Mappings.Length, MappingsMax);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Accesses.Length + Noise.Length, AccessesMax);
        var placement = new Dictionary<string, VirtAddr>(StringComparer.Ordinal);
        VirtAddr at = Base;
        foreach (WorkloadMapping m in Mappings)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(m.Pages, 1);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(m.Pages, PagesMax);
            placement.Add(m.Label, at);
            at += (ulong)(m.Pages + 1) * PageGeometry.PageSize;
        }

        placement.Add(UffdWpTracker.DoneLabel, at); // the userfaultfd tracker's end-of-tracking page
        Placement = placement;
        foreach (WorkloadAccess a in Accesses.Concat(Noise))
        {
            if (!placement.ContainsKey(a.Label) || a.Label == UffdWpTracker.DoneLabel || a.Page < 0 || a.Page >= Mappings.First(m => m.Label == a.Label).Pages)
            {
                throw new ArgumentException($"workload '{name}': access {a} is outside its mappings");
            }
        }
    }

    /// <summary>Name, for program names and reports.</summary>
    public string Name { get; }

    public ImmutableArray<WorkloadMapping> Mappings { get; }

    /// <summary>The tracked phase of the tracked process, in program order.</summary>
    public ImmutableArray<WorkloadAccess> Accesses { get; }

    /// <summary>Writes (and reads) of the child on the other CPU, racing with the tracker's setup.</summary>
    public ImmutableArray<WorkloadAccess> Noise { get; }

    /// <summary>Fixed address of each label (MAP_FIXED_NOREPLACE).</summary>
    public IReadOnlyDictionary<string, VirtAddr> Placement { get; }

    /// <summary>The workload's mappings as address ranges, in label order.</summary>
    public IReadOnlyList<AddrRange> Ranges => [.. Mappings.Select(m => new AddrRange(Placement[m.Label], Placement[m.Label] + ((ulong)m.Pages * PageGeometry.PageSize)))];

    /// <summary>The address of page <paramref name="page"/> of <paramref name="label"/>.</summary>
    public VirtAddr AddressOf(string label, int page) => Placement[label] + ((ulong)page * PageGeometry.PageSize);

    /// <summary>The pages the tracked phase writes, ascending: worked out from the accesses, not from any run.</summary>
    public IReadOnlyList<VirtAddr> WrittenPages() =>
        [.. Accesses.Where(a => a.Write).Select(a => AddressOf(a.Label, a.Page)).Distinct().Order()];

    /// <summary>The program of the tracked process with <paramref name="tracker"/> around the tracked phase.</summary>
    public ProcessProgram Program(IWriteTracker tracker)
    {
        ArgumentNullException.ThrowIfNull(tracker);
        var b = new ProgramBuilder(ProgramName(tracker), $"workload {Name} tracked with {tracker.Name}");
        foreach (WorkloadMapping m in Mappings)
        {
            b.Mmap(m.Label, m.Pages);
        }

        tracker.MapExtra(b);
        foreach (WorkloadMapping m in Mappings)
        {
            for (int page = 0; page < m.Pages; page++)
            {
                _ = page % 2 == 0 ? b.Write(m.Label, page, 0x01) : b.Read(m.Label, page);
            }
        }

        b.Fork(out ProcessId noise);
        foreach (WorkloadAccess a in Noise)
        {
            Add(b.Think(a.ThinkTicks), a, noise);
        }

        tracker.Arm(b, this);
        foreach (WorkloadAccess a in Accesses)
        {
            Add(b.Think(a.ThinkTicks), a, ProcessId.Root);
        }

        tracker.Finish(b, this);
        b.Exit(noise);
        return b.Build();
    }

    /// <summary>The tracked process's program name (also its comm and its key in <see cref="UserPageLog"/>).</summary>
    public static string ProgramName(IWriteTracker tracker)
    {
        ArgumentNullException.ThrowIfNull(tracker);
        return "wt-" + tracker.Name;
    }

    private static void Add(ProgramBuilder b, WorkloadAccess a, ProcessId by)
    {
        _ = a.Write ? b.Write(a.Label, a.Page, a.Value, by) : b.Read(a.Label, a.Page, by);
    }
}
