using ShadowPt.Actors;
using ShadowPt.Kernel;
using ShadowPt.Kernel.Programs;

namespace ShadowPt.Scenarios;

/// <summary>A process of a scenario: its program, CPU, rights, and where its labels must be mapped.</summary>
public sealed record ProcessDefinition(
    string Name,
    int Cpu,
    bool Superuser,
    ProcessProgram Program,
    IReadOnlyDictionary<string, VirtAddr> Placement,
    bool ExitAtEnd);

/// <summary>An inspector of a scenario: whom it watches (a process name), and the rest of its spec.</summary>
public sealed record InspectorDefinition(
    string Name,
    int Cpu,
    string Target,
    ulong StartVaddr,
    ulong EndVaddr,
    long PeriodTicks,
    int Ticks,
    InspectorEnding Ending,
    int? ExitAfterOperations,
    bool Superuser);

/// <summary>A file of the machine that processes may map: its size and the byte its pages hold on "disk".</summary>
public sealed record FileDefinition(string Path, int Pages, byte Fill, bool Writable);

/// <summary>Everything a scenario file says, validated.</summary>
public sealed record ScenarioDefinition
{
    /// <summary>Checks a scenario may name; all run by default.</summary>
    public static readonly IReadOnlyList<string> CheckNames = ["shadow-consistency", "resources", "lockdep", "deadlock", Checking.TlbCoherenceObserver.CheckName, "races", "monitors", Checking.FileIntegrityChecker.CheckName];

    public required string Name { get; init; }

    public required string Description { get; init; }

    public ulong Seed { get; init; } = 1;

    /// <summary>random or pct; null leaves it to the command line.</summary>
    public string? Strategy { get; init; }

    public long? StepsMax { get; init; }

    public required MachineConfig Machine { get; init; }

    /// <summary>Files the processes may map.</summary>
    public IReadOnlyList<FileDefinition> Files { get; init; } = [];

    public required IReadOnlyList<ProcessDefinition> Processes { get; init; }

    public required IReadOnlyList<InspectorDefinition> Inspectors { get; init; }

    /// <summary>The checks that run.</summary>
    public IReadOnlySet<string> Checks { get; init; } = new HashSet<string>(CheckNames, StringComparer.Ordinal);

    /// <summary>
    /// Spec monitors of this scenario beyond the built-in ones, each made fresh for every run: how a
    /// user adds a safety or liveness property in C# without touching the model (check <c>monitors</c>).
    /// </summary>
    public IReadOnlyList<Func<Checking.SpecMonitor>> Monitors { get; init; } = [];

    /// <summary>The file it came from (full path); null for built-ins.</summary>
    public string? SourcePath { get; init; }

    /// <summary>A hash of the file's bytes; null for built-ins.</summary>
    public string? ContentHash { get; init; }
}
