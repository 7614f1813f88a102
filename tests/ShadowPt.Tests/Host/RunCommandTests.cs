namespace ShadowPt.Tests.Host;

public sealed class RunCommandTests
{
    [Fact]
    public void DefaultRunEndsWithTraceHashThenOk()
    {
        var (exit, output, _) = CliRunner.Run("run");
        string[] lines = CliRunner.Lines(output);
        Assert.Equal(0, exit);
        Assert.Matches("^trace-hash: [0-9a-f]{16}$", lines[^2]);
        Assert.Equal("result: ok", lines[^1]);
    }

    [Fact]
    public void SameSeedSameTraceHashDifferentSeedsDiffer()
    {
        string a = CliRunner.Field(CliRunner.Run("run", "--seed", "7").Out, "trace-hash");
        string b = CliRunner.Field(CliRunner.Run("run", "--seed", "7").Out, "trace-hash");
        string c = CliRunner.Field(CliRunner.Run("run", "--seed", "8").Out, "trace-hash");
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void ViolationSavesScheduleAndPrintsReplayCommandThatReproducesIt()
    {
        using var dir = new TempDir();
        string file = dir.File("lost.schedule");
        (int exit, string output, _) = FirstViolation(file);
        string[] lines = CliRunner.Lines(output);
        Assert.Equal(1, exit);
        Assert.Equal("result: violation: assertion", lines[^1]);
        Assert.Equal($"replay: shadowpt replay {file}", lines[^3]);
        Assert.True(File.Exists(file));

        var replay = CliRunner.Run("replay", file);
        Assert.Equal(1, replay.Exit);
        Assert.Equal(CliRunner.Field(output, "trace-hash"), CliRunner.Field(replay.Out, "trace-hash"));
        Assert.Equal(CliRunner.Field(output, "violation"), CliRunner.Field(replay.Out, "violation"));
        Assert.Equal("result: violation: assertion", CliRunner.Lines(replay.Out)[^1]);
    }

    [Fact]
    public void PctRunReplaysToTheSameHash()
    {
        using var dir = new TempDir();
        string file = dir.File("pct.schedule");
        var run = CliRunner.Run("run", "counter", "--strategy", "pct", "--pct-depth", "4", "--seed", "11", "--schedule-out", file);
        var replay = CliRunner.Run("replay", file);
        Assert.Equal(0, run.Exit);
        Assert.Equal(0, replay.Exit);
        Assert.Equal(CliRunner.Field(run.Out, "trace-hash"), CliRunner.Field(replay.Out, "trace-hash"));
        Assert.Equal(CliRunner.Field(run.Out, "steps"), CliRunner.Field(replay.Out, "steps"));
        Assert.Contains("pct(depth=4", CliRunner.Field(run.Out, "strategy"), StringComparison.Ordinal);
    }

    [Fact]
    public void StepsMaxReachedIsABoundViolation()
    {
        using var dir = new TempDir();
        var (exit, output, _) = CliRunner.Run("run", "--steps-max", "10", "--schedule-out", dir.File("s.schedule"));
        Assert.Equal(1, exit);
        Assert.Equal("result: violation: bound-exceeded", CliRunner.Lines(output)[^1]);
        Assert.Contains("steps-max 10 reached", output, StringComparison.Ordinal);
        Assert.Equal("10", CliRunner.Field(output, "steps"));
    }

    [Theory]
    [InlineData(new[] { "run", "--strategy", "dfs" }, "'dfs' not recognized")]
    [InlineData(new[] { "run", "--seed", "-3" }, "--seed")]
    [InlineData(new[] { "run", "--steps-max", "0" }, "--steps-max must be at least 1")]
    [InlineData(new[] { "run", "--pct-depth", "99" }, "--pct-depth must be from 1 to 64")]
    [InlineData(new[] { "run", "no-such-scenario" }, "no built-in scenario is named 'no-such-scenario'")]
    [InlineData(new[] { "run", "--bogus" }, "--bogus")]
    [InlineData(new string[0], "a command is required")]
    public void BadInputIsExitTwoWithOneLine(string[] args, string expected)
    {
        var (exit, output, error) = CliRunner.Run(args);
        Assert.Equal(2, exit);
        Assert.Equal("", output);
        string line = Assert.Single(CliRunner.Lines(error));
        Assert.StartsWith("shadowpt: ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
    }

    [Fact]
    public void ScenariosListsOneLineEach()
    {
        var (exit, output, _) = CliRunner.Run("scenarios");
        string[] lines = CliRunner.Lines(output);
        Assert.Equal(0, exit);
        Assert.Equal(ShadowPt.Scenarios.ScenarioCatalog.Names.Count(), lines.Length);
        Assert.StartsWith("default ", lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public void HelpIsAvailableOnEveryCommand()
    {
        foreach (string[] args in new[] { new[] { "--help" }, new[] { "run", "--help" }, new[] { "replay", "--help" }, new[] { "scenarios", "--help" }, new[] { "bench", "--help" } })
        {
            var (exit, output, _) = CliRunner.Run(args);
            Assert.Equal(0, exit);
            Assert.Contains("Usage:", output, StringComparison.Ordinal);
        }
    }

    /// <summary>The lost-update scenario with the first seed that loses an update.</summary>
    private static (int, string, string) FirstViolation(string scheduleFile)
    {
        for (int seed = 1; seed <= 64; seed++)
        {
            var result = CliRunner.Run("run", "lost-update", "--seed", seed.ToString(System.Globalization.CultureInfo.InvariantCulture), "--schedule-out", scheduleFile);
            if (result.Exit == 1)
            {
                return result;
            }
        }

        throw new InvalidOperationException("no seed in 1..64 loses an update");
    }
}

public sealed class RunCommandChecksTests
{
    [Fact]
    public void ChecksAreChosenOnTheCommandLineAndRecordedForReplay()
    {
        using var dir = new TempDir();
        string file = dir.File("c.schedule");
        var run = CliRunner.Run("run", "--checks", "lockdep,resources", "--schedule-out", file);
        Assert.Equal(0, run.Exit);
        Assert.Contains("checks lockdep,resources", File.ReadAllText(file), StringComparison.Ordinal);
        var replay = CliRunner.Run("replay", file);
        Assert.Equal(CliRunner.Field(run.Out, "trace-hash"), CliRunner.Field(replay.Out, "trace-hash"));
    }

    [Fact]
    public void AnUnknownCheckIsBadInput()
    {
        var (exit, _, error) = CliRunner.Run("run", "--checks", "lockdep,telepathy");
        Assert.Equal(2, exit);
        Assert.StartsWith("shadowpt: unknown check 'telepathy'", CliRunner.Lines(error).Single(), StringComparison.Ordinal);
    }

    [Fact]
    public void WithoutTheConsistencyCheckAVariantGoesUnnoticed()
    {
        using var dir = new TempDir();
        string scenario = dir.File("v.json");
        File.WriteAllText(scenario, """
            { "name": "v", "seed": 1, "variants": ["shadow-update-at-invalidate-start"],
              "processes": [ { "name": "t", "placement": { "a": "0x10000000" }, "program": [
                { "op": "mmap", "label": "a", "pages": 4 }, { "op": "write", "label": "a", "think": 2 }, { "op": "madvise-dontneed", "label": "a", "pages": 4, "think": 2 } ] } ],
              "inspectors": [ { "name": "i", "target": "t", "start": "0x10000000", "end": "0x10004000", "ticks": 6 } ] }
            """);
        var checkedRun = CliRunner.Run("run", scenario, "--schedule-out", dir.File("a.schedule"));
        var uncheckedRun = CliRunner.Run("run", scenario, "--checks", "none");
        Assert.Equal("result: violation: shadow-inconsistent", CliRunner.Lines(checkedRun.Out)[^1]);
        Assert.Equal("result: ok", CliRunner.Lines(uncheckedRun.Out)[^1]);
    }
}
