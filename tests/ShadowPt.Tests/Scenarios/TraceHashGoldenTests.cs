using ShadowPt.Benchmarking;

namespace ShadowPt.Tests.Scenarios;

/// <summary>
/// Every built-in and config scenario at four seeds, and 300 explored schedules of the default scenario,
/// give the trace hashes, step counts and results of the golden file. Work on the hot path (pooling,
/// caches, fewer async layers) must not change the model: a changed line here means it did, or that a
/// delivered message type was renamed (type names are part of the fingerprint). When the model is meant
/// to change, regenerate the file and say why in the commit:
/// <c>dotnet run --project tests/ShadowPt.Benchmarks -c Release -- trace-hashes &gt; tests/ShadowPt.Tests/Scenarios/Golden/trace-hashes.txt</c>
/// </summary>
public sealed class TraceHashGoldenTests
{
    [Fact]
    public void EveryScenarioGivesItsGoldenTraceHashes()
    {
        string[] golden = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Scenarios", "Golden", "trace-hashes.txt"));
        string[] now = [.. TraceHashCensus.Lines(Path.Combine(AppContext.BaseDirectory, "config"))];

        string[] changed = [.. now.Except(golden, StringComparer.Ordinal)];
        string[] gone = [.. golden.Except(now, StringComparer.Ordinal)];
        Assert.True(changed.Length == 0 && gone.Length == 0, $"{changed.Length} lines differ from the golden file; now:\n{string.Join('\n', changed.Take(10))}\nwas:\n{string.Join('\n', gone.Take(10))}");
        Assert.Equal(golden, now);
        Assert.True(golden.Length >= 150, $"{golden.Length} lines: every scenario at four seeds");
    }
}
