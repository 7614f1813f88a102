using System.Globalization;
using ShadowPt.Exploration;
using ShadowPt.Scenarios;
using ShadowPt.Scenarios.BuiltIn;

namespace ShadowPt.Benchmarking;

/// <summary>
/// The trace hash, step count and result of every built-in scenario and every scenario file under a
/// config directory, at the scenario's own seed and at seeds 1 to 3, plus a digest of 300 portfolio
/// schedules of the default scenario: one line each. Work on the hot path must leave every line as it
/// was (the model must not change); a test holds the lines to a golden file.
/// </summary>
public static class TraceHashCensus
{
    /// <summary>Schedules of the explore digest.</summary>
    public const int ExploreSchedules = 300;

    /// <summary>The lines, in a fixed order: built-ins in catalog order, then files by ordinal path (relative to <paramref name="configDirectory"/>'s parent).</summary>
    public static IEnumerable<string> Lines(string configDirectory)
    {
        ArgumentNullException.ThrowIfNull(configDirectory);
        var scenarios = new List<(string Name, Func<Scenario> Create)>();
        foreach (string name in ScenarioCatalog.Names)
        {
            scenarios.Add((name, () => ScenarioCatalog.TryCreate(name)!));
        }

        string root = Path.GetDirectoryName(Path.GetFullPath(configDirectory).TrimEnd(Path.DirectorySeparatorChar)) ?? configDirectory;
        foreach (string file in Directory.GetFiles(Path.Combine(configDirectory, "scenarios"), "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            ScenarioDefinition definition = ScenarioFile.Load(file);
            scenarios.Add((Path.GetRelativePath(root, file).Replace(Path.DirectorySeparatorChar, '/'), () => new ShadowPtScenario(definition)));
        }

        foreach ((string name, Func<Scenario> create) in scenarios)
        {
            foreach (ulong? seed in new ulong?[] { null, 1, 2, 3 })
            {
                RunReport report = ScenarioRunner.Run(create, new RunOptions { Seed = seed });
                yield return string.Create(CultureInfo.InvariantCulture, $"{name} seed={seed?.ToString(CultureInfo.InvariantCulture) ?? "default"} {report.TraceHash} {report.Steps} {report.Violation?.Kind ?? "ok"}");
            }
        }

        ExploreResult explored = Explorer.Run(() => ScenarioCatalog.TryCreate(ScenarioCatalog.DefaultName)!, new ExploreOptions { Strategy = "portfolio", Schedules = ExploreSchedules, Workers = 1 });
        ulong digest = 14695981039346656037UL;
        foreach (KeyValuePair<string, long> trace in explored.DistinctTraces.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            foreach (char c in string.Create(CultureInfo.InvariantCulture, $"{trace.Key}:{trace.Value}"))
            {
                digest = (digest ^ c) * 1099511628211UL;
            }
        }

        yield return string.Create(CultureInfo.InvariantCulture, $"explore default portfolio {ExploreSchedules}: distinct {explored.DistinctTraces.Count} digest {digest:x16} violation {explored.FirstViolation?.Violation?.Kind ?? "none"}");
    }
}
