using ShadowPt.Host;

namespace ShadowPt.Tests.Host;

/// <summary><c>shadowpt step</c> end to end: the command line with its standard input redirected.</summary>
public sealed class StepCommandTests
{
    private static (int Exit, string Out, string Err) Run(string input, params string[] args)
    {
        using var stdin = new StringReader(input);
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        int exit = Cli.Run(args, stdout, stderr, stdin);
        return (exit, stdout.ToString().ReplaceLineEndings("\n"), stderr.ToString());
    }

    [Fact]
    public void TheAbbaDeadlockByHandFromStandardInputSavesASchedulThatReplays()
    {
        using var dir = new TempDir();
        string path = dir.File("abba.schedule");
        string script = string.Concat(Enumerable.Repeat("1\n", 12)) + $"w {path}\nq\n";
        (int exit, string output, string err) = Run(script, "step", "abba");
        Assert.Equal("", err);
        Assert.Equal(ExitCodes.Violation, exit);
        Assert.Contains("WARNING: deadlock: a wait-for cycle of 2 tasks", output, StringComparison.Ordinal);
        Assert.Contains("step 12> 1\n", output, StringComparison.Ordinal); // redirected input is echoed
        string hash = output.Split('\n').Single(l => l.StartsWith("trace hash: ", StringComparison.Ordinal))["trace hash: ".Length..];

        (int replayExit, string replayOut, _) = CliRunner.Run("replay", path);
        Assert.Equal(ExitCodes.Violation, replayExit);
        Assert.Equal(hash, CliRunner.Field(replayOut, "trace-hash"));
        Assert.Equal("violation: deadlock", CliRunner.Field(replayOut, "result"));
    }

    [Fact]
    public void QuittingBeforeTheEndIsOkAndEmptyInputQuitsCleanly()
    {
        (int exit, string output, _) = Run("", "step", "shootdown");
        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Contains("--- before step 1, tick 0 ---\ncurrent: cpu0: swapper/0 (idle) | cpu1: swapper/1 (idle)\n", output, StringComparison.Ordinal);
        Assert.EndsWith("(end of input: quit)\n", output, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnknownScenarioIsBadInput()
    {
        (int exit, _, string err) = Run("", "step", "no-such-scenario");
        Assert.Equal(ExitCodes.BadInput, exit);
        Assert.StartsWith("shadowpt: no built-in scenario is named 'no-such-scenario'", err, StringComparison.Ordinal);
    }

    [Fact]
    public void ScenariosListsTheTeachingScenarios()
    {
        (int exit, string output, _) = CliRunner.Run("scenarios");
        Assert.Equal(ExitCodes.Ok, exit);
        foreach (string name in (string[])["abba", "shootdown", "shootdown-nowait", "inspector-exit"])
        {
            Assert.Contains(CliRunner.Lines(output), l => l.StartsWith(name + " ", StringComparison.Ordinal) && l.Length > name.Length + 20);
        }
    }
}
