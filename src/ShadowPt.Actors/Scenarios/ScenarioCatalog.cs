using ShadowPt.Scenarios.BuiltIn;
using ShadowPt.Scenarios.BuiltIn.Teaching;

namespace ShadowPt.Scenarios;

/// <summary>The built-in scenarios by name. Each lookup makes a fresh instance: scenarios hold per-run state.</summary>
public static class ScenarioCatalog
{
    /// <summary>The scenario <c>shadowpt run</c> runs when none is named.</summary>
    public const string DefaultName = "default";

    /// <summary>
    /// The definitions of <c>default</c> and <c>shadowpt</c>, built once per process: building one
    /// validates the target program, which exploration would otherwise redo for every schedule. A
    /// definition is immutable and shared by every run, as a scenario file's is; each lookup still makes a
    /// fresh <see cref="ShadowPtScenario"/>, which holds the run's state.
    /// </summary>
    private static readonly Lazy<ScenarioDefinition> DefaultDefinition = new(() => ShadowPtScenario.Default(DefaultName).Definition);

    private static readonly Lazy<ScenarioDefinition> ShadowPtDefinition = new(() => ShadowPtScenario.Default("shadowpt").Definition);

    /// <summary>Name and factory of every built-in, in the order <c>shadowpt scenarios</c> lists them.</summary>
    private static readonly (string Name, Func<Scenario> Create)[] BuiltIns =
    [
        (DefaultName, () => new ShadowPtScenario(DefaultDefinition.Value)),
        ("shadowpt", () => new ShadowPtScenario(ShadowPtDefinition.Value)),
        ("counter", () => new CounterScenario("counter", locked: true, workers: 4, rounds: 3)),
        ("lost-update", () => new CounterScenario("lost-update", locked: false, workers: 2, rounds: 2)),
        ("pingpong", () => new PingPongScenario(pairs: 4, volleys: 16)),
        ("abba", () => new AbbaScenario()),
        ("shootdown", () => new ShootdownScenario("shootdown", noWait: false)),
        ("shootdown-nowait", () => new ShootdownScenario("shootdown-nowait", noWait: true)),
        (InspectorExitScenario.Name, InspectorExitScenario.Create),
        ("fault-policy", () => PolicyScenarios.FaultPolicy()),
        ("numa-balancing", () => PolicyScenarios.NumaBalancing()),
        ("fan-in", () => new FanInScenario("fan-in", senders: 3)),
        ("soft-dirty", () => SwapScenarios.SoftDirty()),
        ("pageout", () => SwapScenarios.Pageout()),
        (UserfaultfdScenario.Name, UserfaultfdScenario.Create),
        (BuiltIn.Criu.CheckpointScenario.DefaultName, () => new BuiltIn.Criu.CheckpointScenario()),
        (BuiltIn.Criu.MigrationScenario.DefaultName, () => new BuiltIn.Criu.MigrationScenario()),
        (BuiltIn.Criu.PostCopyScenario.DefaultName, () => new BuiltIn.Criu.PostCopyScenario()),
        (WriteTrackingScenario.BuiltInName, WriteTrackingScenario.Create),
    ];

    public static IEnumerable<string> Names => BuiltIns.Select(b => b.Name);

    /// <summary>A fresh instance of the built-in named <paramref name="name"/>, or null.</summary>
    public static Scenario? TryCreate(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach ((string builtIn, Func<Scenario> create) in BuiltIns)
        {
            if (builtIn == name)
            {
                return create();
            }
        }

        return null;
    }

    public static IReadOnlyList<Scenario> All() => BuiltIns.Select(b => b.Create()).ToArray();
}
