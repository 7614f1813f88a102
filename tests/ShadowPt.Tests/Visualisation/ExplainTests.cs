using ShadowPt.Tests.Host;

namespace ShadowPt.Tests.Visualisation;

/// <summary>shadowpt explain: the violating interleaving, two columns, checked against its expected text.</summary>
public sealed class ExplainTests
{
    /// <summary>
    /// The expected story of the invalidate-start variant's seed-1 violation. Runs are deterministic, so it
    /// only changes with the model; regenerate by saving the scenario of <see cref="VizScenarios.InvalidateStart"/>
    /// as v.json and running <c>shadowpt run v.json --schedule-out v.schedule; shadowpt explain v.schedule</c>.
    /// </summary>
    private static string Golden => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Visualisation", "Golden", "explain-invalidate-start.txt"));

    [Fact]
    public void TheInvalidateStartViolationIsToldAsExpected()
    {
        using var dir = new TempDir();
        string schedule = VizScenarios.SaveSchedule(dir, "inval", VizScenarios.InvalidateStart);
        var result = CliRunner.Run("explain", schedule);
        Assert.Equal(0, result.Exit);
        Assert.Equal(Golden.ReplaceLineEndings("\n"), result.Out.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void TheAbbaViolationNamesBothCpusAndTheLocksInKernelTerms()
    {
        using var dir = new TempDir();
        string schedule = VizScenarios.SaveSchedule(dir, "abba", VizScenarios.Abba);
        string[] lines = CliRunner.Lines(CliRunner.Run("explain", schedule).Out);
        Assert.StartsWith("violation: sleep-in-atomic at step ", lines[0], StringComparison.Ordinal);
        Assert.Matches(@"^  CPU0 \(t-1; now swapper/0 \(idle\)\) +CPU1 \(i-2\)$", lines[2]); // t-1 sleeps on mmap_lock: CPU0 idles
        Assert.True(lines.Length <= 3 + 2 + ShadowPt.Visualisation.Explanation.LinesMax + 5);
        Assert.Matches(@"^  current after step \d+: cpu0 swapper/0 \(idle\) \| cpu1 i-2$", lines.Single(l => l.StartsWith("  current after step ", StringComparison.Ordinal)));
        Assert.Contains(lines, l => l.EndsWith("] spin_lock(shadowpt_lock)", StringComparison.Ordinal));
        Assert.Matches(@"^ {46}\[\d+\] mmap_read_lock\(mm1->mmap_lock\)$", lines.Last(l => l.Contains('[', StringComparison.Ordinal)));
    }
}
