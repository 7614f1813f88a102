namespace ShadowPt.Tests.Host;

public sealed class ReplayCommandTests
{
    [Fact]
    public void ReplayPrintsTheSameSummaryAsTheRun()
    {
        using var dir = new TempDir();
        string file = dir.File("run.schedule");
        var run = CliRunner.Run("run", "--seed", "3", "--schedule-out", file);
        var replay = CliRunner.Run("replay", file);
        Assert.Equal(0, replay.Exit);
        string[] ran = CliRunner.Lines(run.Out).Where(l => !l.StartsWith("strategy:", StringComparison.Ordinal) && !l.StartsWith("schedule:", StringComparison.Ordinal)).ToArray();
        string[] replayed = CliRunner.Lines(replay.Out).Where(l => !l.StartsWith("replayed:", StringComparison.Ordinal)).ToArray();
        Assert.Equal(ran, replayed);
    }

    [Theory]
    [InlineData("garbage\n", ":1: not a ShadowPt schedule")]
    [InlineData("", ":1: unexpected end of file")]
    [InlineData("shadowpt-schedule 1\nscenario default\nstrategy x\nseed abc\n", ":4: seed must be an unsigned integer: 'abc'")]
    [InlineData("shadowpt-schedule 1\nscenario default\nstrategy x\nseed 1\nsteps-max 5\nsteps 9\n", ":6: steps must be an integer from 0 to 5")]
    [InlineData("shadowpt-schedule 1\nscenario default\nstrategy x\nseed 1\nsteps-max 5\nsteps 1\nticks 0\ntrace-hash XYZ\n", ":8: trace-hash must be 16 lower-case hex digits")]
    [InlineData("shadowpt-schedule 1\nscenario default\nstrategy x\nseed 1\nsteps-max 5\nsteps 1\nticks 0\ntrace-hash 0123456789abcdef\nresult ok\nchannels 1\nchannel 0 a -> b (user)\nchoices 2\nd0 q7\nend\n", ":13: bad choice 'q7'")]
    [InlineData("shadowpt-schedule 1\nscenario default\nstrategy x\nseed 1\nsteps-max 5\nsteps 1\nticks 0\ntrace-hash 0123456789abcdef\nresult ok\nchannels 1\nchannel 0 a -> b (user)\nchoices 1\nd4\nend\n", ":13: choice 'd4' names channel 4, but the file describes 1 channels")]
    [InlineData("shadowpt-schedule 1\nscenario default\nstrategy x\nseed 1\nsteps-max 5\nsteps 1\nticks 0\ntrace-hash 0123456789abcdef\nresult ok\nchannels 99999999\n", ":10: channels must be an integer from 0 to 1048576")]
    [InlineData("shadowpt-schedule 1\nscenario no-such\nstrategy x\nseed 1\nsteps-max 5\nsteps 1\nticks 0\ntrace-hash 0123456789abcdef\nresult ok\nchannels 0\nchoices 0\nend\n", "no built-in scenario is named 'no-such'")]
    public void MalformedScheduleIsExitTwoWithFileAndLine(string content, string expected)
    {
        using var dir = new TempDir();
        string file = dir.File("bad.schedule");
        File.WriteAllText(file, content);
        var (exit, output, error) = CliRunner.Run("replay", file);
        Assert.Equal(2, exit);
        Assert.Equal("", output);
        string line = Assert.Single(CliRunner.Lines(error));
        Assert.Contains(expected, line, StringComparison.Ordinal);
    }

    [Fact]
    public void OverlongLineIsRejectedWithoutReadingItWhole()
    {
        using var dir = new TempDir();
        string file = dir.File("long.schedule");
        File.WriteAllText(file, "shadowpt-schedule 1\nscenario " + new string('a', 100_000) + "\n");
        var (exit, _, error) = CliRunner.Run("replay", file);
        Assert.Equal(2, exit);
        Assert.Contains(":2: line longer than 4096 characters", error, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingFileIsExitTwo()
    {
        var (exit, _, error) = CliRunner.Run("replay", "/nonexistent/x.schedule");
        Assert.Equal(2, exit);
        Assert.Equal("shadowpt: /nonexistent/x.schedule: no such schedule file", CliRunner.Lines(error).Single());
    }

    [Fact]
    public void EditedChoiceDivergesWithTheStepNamed()
    {
        using var dir = new TempDir();
        string file = dir.File("run.schedule");
        CliRunner.Run("run", "--seed", "5", "--schedule-out", file);
        string[] lines = File.ReadAllLines(file);
        int choicesAt = Array.FindIndex(lines, l => l.StartsWith("choices ", StringComparison.Ordinal));
        string[] tokens = lines[choicesAt + 1].Split(' ');
        // Deliver first what the scenario cannot have ready at step 1: the last channel ever created.
        int channels = int.Parse(lines.Single(l => l.StartsWith("channels ", StringComparison.Ordinal))[9..], System.Globalization.CultureInfo.InvariantCulture);
        tokens[0] = "d" + (channels - 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        lines[choicesAt + 1] = string.Join(' ', tokens);
        File.WriteAllLines(file, lines);

        var (exit, _, error) = CliRunner.Run("replay", file);
        Assert.Equal(2, exit);
        Assert.StartsWith("shadowpt: step 1: the schedule delivers on ", CliRunner.Lines(error).Single(), StringComparison.Ordinal);
    }

    [Fact]
    public void TruncatedScheduleDiverges()
    {
        using var dir = new TempDir();
        string file = dir.File("run.schedule");
        CliRunner.Run("run", "pingpong", "--schedule-out", file);
        string[] lines = File.ReadAllLines(file);
        int choicesAt = Array.FindIndex(lines, l => l.StartsWith("choices ", StringComparison.Ordinal));
        int count = int.Parse(lines[choicesAt][8..], System.Globalization.CultureInfo.InvariantCulture);
        string[] tokens = string.Join(' ', lines[(choicesAt + 1)..^1]).Split(' ');
        var shortened = lines[..choicesAt].Concat([$"choices {count - 1}", string.Join(' ', tokens[..^1]), "end"]).ToArray();
        File.WriteAllLines(file, shortened);

        var (exit, _, error) = CliRunner.Run("replay", file);
        Assert.Equal(2, exit);
        Assert.Contains($"the schedule ended after {count - 1} choices, but the run goes on", error, StringComparison.Ordinal);
    }
}
