using ShadowPt.Exploration.Stepping;
using ShadowPt.Runtime.Recording;
using ShadowPt.Scenarios;
using ShadowPt.Scenarios.BuiltIn.Teaching;
using ShadowPt.Tests.Host;
using Xunit.Abstractions;

namespace ShadowPt.Tests.Exploration.Stepping;

/// <summary>
/// The step-through mode driven as a user would, through its reader and writer: the ABBA deadlock
/// reached by hand, stepping back to the same state, saving a schedule that replays, and bad input.
/// </summary>
public sealed class StepConsoleTests(ITestOutputHelper log)
{
    /// <summary>
    /// The picks (by number, as the prompts offer them with seed 1) that walk both paths to their first
    /// lock and then to their second: mapper and truncate start, switch in, ask for mmap_lock and
    /// i_mmap_rwsem, get them, and ask for each other's; the last step is the last request.
    /// </summary>
    private static readonly string[] DeadlockPicks = ["1", "1", "1", "1", "1", "1", "1", "1", "1", "1", "1", "1"];

    private static (RunReport? Report, string Output) Drive(params string[] lines)
    {
        using var input = new StringReader(string.Join('\n', lines) + (lines.Length > 0 ? "\n" : ""));
        using var output = new StringWriter();
        RunReport? report = new StepConsole(() => new AbbaScenario(), input, output, new StepOptions { Echo = true }).Run();
        return (report, output.ToString().ReplaceLineEndings("\n"));
    }

    /// <summary>The state blocks shown, in order: each from its "--- before step" line to the prompt.</summary>
    private static List<string> States(string output)
    {
        var states = new List<string>();
        int at = output.IndexOf("--- before step ", StringComparison.Ordinal);
        while (at >= 0)
        {
            int end = output.IndexOf("> ", at, StringComparison.Ordinal);
            int next = output.IndexOf("--- before step ", at + 1, StringComparison.Ordinal);
            states.Add(output[at..end]);
            at = next;
        }

        return states;
    }

    [Fact]
    public void TheAbbaDeadlockIsReachedByHandWithLockdepsWarningAndTheDeadlockReport()
    {
        (RunReport? report, string output) = Drive([.. DeadlockPicks, "q"]);
        log.WriteLine(output);
        Assert.Equal("deadlock", report?.Violation?.Kind);
        Assert.Contains("== the run ended at step 12, tick 0: deadlock ==", output, StringComparison.Ordinal);
        Assert.Contains("WARNING: deadlock: a wait-for cycle of 2 tasks", output, StringComparison.Ordinal);
        Assert.Contains("WARNING: possible circular locking dependency detected", output, StringComparison.Ordinal);

        // The interleaving the picks chose, as the user saw it.
        Assert.Contains("  mapper-1 on cpu0 holds mm1->mmap_lock (write) at do_mmap; waits for data.bin->i_mmap_rwsem (write) at vma_link\n", output, StringComparison.Ordinal);
        Assert.Contains("  truncate-2 on cpu1 holds data.bin->i_mmap_rwsem (write) at unmap_mapping_range; waits for mm1->mmap_lock (read) at truncate_walk_vmas\n", output, StringComparison.Ordinal);
        Assert.Contains("memory: cpu1 truncate-2 must wait for mm1->mmap_lock (read): held by mapper-1", output, StringComparison.Ordinal);
        Assert.Contains("current: cpu0: mapper-1 | cpu1: truncate-2\n", output, StringComparison.Ordinal);

        // Not what the strategy does alone with this seed: the user's picks made the deadlock.
        Assert.Null(ScenarioRunner.Run(() => new AbbaScenario(), new RunOptions { Seed = 1 }).Violation);
    }

    [Fact]
    public void SteppingBackShowsTheSameStateAsBefore()
    {
        (_, string output) = Drive("1", "1", "1", "1", "1", "1", "b", "b", "1", "1", "q");
        List<string> states = States(output);
        log.WriteLine(output);

        // Shown: before steps 1..7, then b → 6, b → 5, then 1 → 6, 1 → 7.
        Assert.Equal(11, states.Count);
        Assert.StartsWith("--- before step 7,", states[6], StringComparison.Ordinal);
        Assert.Equal(states[5], states[7]); // before step 6 again
        Assert.Equal(states[4], states[8]); // before step 5 again
        Assert.Equal(states[5], states[9]);
        Assert.Equal(states[6], states[10]);
        Assert.NotEqual(states[4], states[5]);
    }

    [Fact]
    public void SteppingBackAtTheFirstStepSaysSoAndAtTheEndReturnsToTheLastStep()
    {
        (_, string output) = Drive(["b", .. DeadlockPicks, "b", "q"]);
        Assert.Contains("step 1> b\nalready at the first step\nstep 1> ", output, StringComparison.Ordinal);
        List<string> states = States(output);
        Assert.Equal(states[11], states[12]); // before step 12, before and after the run ended
        Assert.EndsWith("step 12> q\nquit\n", output, StringComparison.Ordinal);
    }

    [Fact]
    public void ASavedScheduleReplaysWithTheSameTraceHashAndViolation()
    {
        using var dir = new TempDir();
        string path = dir.File("abba.schedule");
        (RunReport? report, string output) = Drive([.. DeadlockPicks, "w " + path, "q"]);
        Assert.Contains($"saved the run (12 steps): result deadlock, trace hash {report!.TraceHash}, to {path}", output, StringComparison.Ordinal);

        Schedule schedule = ScheduleFile.Load(path);
        RunReport replay = ScenarioRunner.Replay(new AbbaScenario(), schedule, null);
        Assert.Equal(report.TraceHash, replay.TraceHash);
        Assert.Equal("deadlock", replay.Violation?.Kind);
        Assert.Equal(report.Violation!.Message, replay.Violation!.Message);
    }

    [Fact]
    public void SavingBeforeTheEndFinishesTheRunWithTheStrategyAndTheSessionGoesOn()
    {
        using var dir = new TempDir();
        string path = dir.File("partial.schedule");
        (_, string output) = Drive("1", "1", "1", "w " + path, "l", "q");
        Assert.Contains("saved the run so far, finished by the strategy (", output, StringComparison.Ordinal);
        List<string> states = States(output);
        Assert.Equal(states[3], states[4]); // the session stayed where it was

        Schedule schedule = ScheduleFile.Load(path);
        Assert.True(schedule.Choices.Count > 3, $"{schedule.Choices.Count} choices");
        RunReport replay = ScenarioRunner.Replay(new AbbaScenario(), schedule, null); // throws if it diverged
        Assert.Equal(schedule.TraceHash, replay.TraceHash);
        Assert.Equal(schedule.Result, replay.Violation?.Kind ?? "ok");
    }

    [Fact]
    public void BadInputIsRejectedWithOneLineAndThePromptAgain()
    {
        string[] bad = ["foo", "0", "99", "-1", "r x", "r 0", "w", "b b", new string('x', StepCommand.LineLengthMax + 1), "\u0001\u0002"];
        (RunReport? report, string output) = Drive([.. bad]);
        Assert.Null(report);
        string[] lines = output.Split('\n');
        int first = Array.FindIndex(lines, l => l.StartsWith("step 1> ", StringComparison.Ordinal));
        for (int i = 0; i < bad.Length; i++)
        {
            Assert.StartsWith("step 1> ", lines[first + (2 * i)], StringComparison.Ordinal);
            Assert.EndsWith("(? for help)", lines[first + (2 * i) + 1], StringComparison.Ordinal);
        }

        Assert.Contains("unknown command 'foo' (? for help)", output, StringComparison.Ordinal);
        Assert.Contains("no delivery 99: pick 1 to 2 (? for help)", output, StringComparison.Ordinal);
        Assert.Contains("w needs a file name: w FILE (? for help)", output, StringComparison.Ordinal);
        Assert.EndsWith("step 1> \n(end of input: quit)\n", output, StringComparison.Ordinal);
        Assert.Single(States(output)); // never left step 1
    }

    [Fact]
    public void AnUnwritableFileIsAOneLineErrorAndTheSessionGoesOn()
    {
        using var dir = new TempDir();
        (_, string output) = Drive([.. DeadlockPicks, "w " + dir.File("no/such/dir/x.schedule"), "w " + dir.Path, "q"]);
        Assert.Equal(2, output.Split('\n').Count(l => l.StartsWith("cannot save to ", StringComparison.Ordinal)));
        Assert.EndsWith("end> q\nquit\n", output, StringComparison.Ordinal);
    }

    [Fact]
    public void HelpRunAndTheEndOfInput()
    {
        (RunReport? report, string output) = Drive("?", "r 1000");
        Assert.Contains("  b          step back one delivery", output, StringComparison.Ordinal);
        Assert.NotNull(report); // r ran the strategy to the end: the same run as the strategy alone
        RunReport alone = ScenarioRunner.Run(() => new AbbaScenario(), new RunOptions { Seed = 1 });
        Assert.Equal((alone.Steps, alone.TraceHash), (report.Steps, report.TraceHash));
        Assert.EndsWith("end> \n(end of input: quit)\n", output, StringComparison.Ordinal);
    }

    [Fact]
    public void AShootdownSteppedByTheStrategyIsNarratedInKernelTerms()
    {
        using var input = new StringReader(string.Concat(Enumerable.Repeat("\n", 200)));
        using var output = new StringWriter();
        RunReport? report = new StepConsole(() => ScenarioCatalog.TryCreate("shootdown")!, input, output).Run();
        string text = output.ToString().ReplaceLineEndings("\n");
        Assert.Null(report?.Violation);
        Assert.Contains("cpu1: takes the TLB-flush IPI from cpu0: flush_tlb_func mm1 [0x40000000, 0x40001000)", text, StringComparison.Ordinal);
        Assert.Contains("cpu0 unmapper-1: gets cpu1's TLB-flush acknowledgement", text, StringComparison.Ordinal);
        Assert.Contains("memory: zap_pte_range for cpu0 unmapper-1", text, StringComparison.Ordinal);
        Assert.Contains("current: cpu0: unmapper-1 | cpu1: reader-2\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void TheReplayHintQuotesAFileNameForTheShell()
    {
        using var dir = new TempDir();
        string path = dir.File("it's; rm -rf x.schedule");
        (_, string output) = Drive([.. DeadlockPicks, "w " + path, "q"]);
        Assert.Contains("replay it with: shadowpt replay '" + path.Replace("'", "'\\''", StringComparison.Ordinal) + "'\n", output, StringComparison.Ordinal);
        Assert.True(File.Exists(path));
    }
}
