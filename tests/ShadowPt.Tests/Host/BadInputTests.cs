using System.Text.RegularExpressions;

namespace ShadowPt.Tests.Host;

/// <summary>
/// Every command with bad input (missing files, malformed scenarios and schedules, out-of-range
/// numbers, unknown options) exits 2 with one line on standard error and no stack trace; every
/// command's --help is sensible; the README's "Using it" block names only options that exist.
/// </summary>
public sealed partial class BadInputTests : IDisposable
{
    /// <summary>The commands and the subcommands of bench.</summary>
    public static TheoryData<string> Commands => ["run", "replay", "scenarios", "bench", "bench runtime", "bench model", "bench dpor", "bench zoo", "bench explore", "conformance", "explore", "step", "merge", "lockgraph", "report", "explain", "stress"];

    /// <summary>Bad command lines; {bad.json}, {bad.schedule}, {truncated.schedule}, {empty} and {dir} are files made per test.</summary>
    public static TheoryData<string> BadCommandLines =>
    [
        "nosuchcommand",
        "run /nonexistent/x.json",
        "run {bad.json}",
        "run {semantic.json}",
        "run {empty}",
        "run --seed -1",
        "run --seed abc",
        "run --steps-max 0",
        "run --strategy bogus",
        "run --checks bogus",
        "run --pct-depth 0",
        "run --delays 65",
        "run --nosuchoption",
        "replay",
        "replay /nonexistent/x.schedule",
        "replay {bad.schedule}",
        "replay {truncated.schedule}",
        "explore {bad.json}",
        "explore --schedules 0",
        "explore --workers 0",
        "explore --shard 3/2",
        "explore --time-max -1",
        "explore --time-max nan",
        "explore --seed x",
        "explore --minimize-runs -1",
        "explore --strategy dfs --depth-max 0",
        "explore --strategy dfs --preemption-bound -1",
        "step nosuch",
        "step {bad.json}",
        "step --steps-max 0",
        "merge /nonexistent/dir",
        "merge {dir}",
        "lockgraph /nonexistent/x.schedule",
        "lockgraph {bad.schedule}",
        "report {truncated.schedule}",
        "report /nonexistent/x.schedule",
        "explain {bad.schedule}",
        "explain /nonexistent/x.schedule",
        "stress --cpus 0",
        "stress --cpus 65",
        "stress --processes 1001",
        "stress --time 0",
        "stress --runs-max 0",
        "stress {semantic.json}",
        "conformance --program nosuch",
        "bench nosuch",
        "bench explore --schedules 0",
        "bench explore --cold-schedules 10000001",
        "bench explore --workers 0",
        "bench explore --strategy dfs",
        "bench explore /nonexistent/x.json",
        "scenarios extra",
    ];

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [MemberData(nameof(BadCommandLines))]
    public void BadInputIsOneLineAndExitCode2(string commandLine)
    {
        (int exit, string output, string error) = CliRunner.Run(Args(commandLine));

        string[] lines = CliRunner.Lines(error);
        Assert.True(exit == 2, $"exit {exit} for '{commandLine}'; stdout: {output}; stderr: {error}");
        Assert.True(lines.Length == 1 && lines[0].StartsWith("shadowpt: ", StringComparison.Ordinal), $"'{commandLine}' wrote to stderr: {error}");
        Assert.DoesNotContain(" at ShadowPt.", error, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", error, StringComparison.Ordinal); // no .NET type names: "--seed expects a whole number"
    }

    [Theory]
    [InlineData("bench explore --schedules 0", "'shadowpt bench explore --help'")]
    [InlineData("bench zoo --seeds 0", "'shadowpt bench zoo --help'")]
    [InlineData("explore --schedules 0", "'shadowpt explore --help'")]
    [InlineData("--nosuchoption", "'shadowpt --help'")]
    public void AParseErrorPointsAtTheHelpOfTheCommandItCameFrom(string commandLine, string hint)
    {
        (int exit, _, string error) = CliRunner.Run(Args(commandLine));
        Assert.Equal(2, exit);
        Assert.Contains("(see " + hint + ")", error, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void EveryCommandHasHelp(string command)
    {
        (int exit, string output, string error) = CliRunner.Run([.. command.Split(' '), "--help"]);
        Assert.Equal(0, exit);
        Assert.Empty(error);
        Assert.Contains("Description:", output, StringComparison.Ordinal);
        Assert.Matches($@"Usage:\n  \S+ {Regex.Escape(command)}( |\n)", output.ReplaceLineEndings("\n")); // the root is named after the process
        string description = output.ReplaceLineEndings("\n").Split("\n")[1].Trim();
        Assert.True(description.Length >= 20, $"'{command}': a description of a few words at least, not '{description}'");
    }

    [Fact]
    public void TheReadmeNamesOnlyCommandsAndOptionsThatExist()
    {
        string readme = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "README.md")).ReplaceLineEndings("\n");
        int start = readme.IndexOf("## Using it\n\n```\n", StringComparison.Ordinal);
        Assert.True(start >= 0, "README.md has a 'Using it' block");
        start = readme.IndexOf("```\n", start, StringComparison.Ordinal) + 4;
        string block = readme[start..readme.IndexOf("```", start, StringComparison.Ordinal)];

        int checkedOptions = 0;
        string[] command = [];
        foreach (string raw in block.Split('\n'))
        {
            string line = raw.Split('#')[0];
            if (line.StartsWith("shadowpt ", StringComparison.Ordinal))
            {
                string[] words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                command = words[1].Split('|'); // "run|replay"
                if (command is ["bench"])
                {
                    command = [$"bench {words[2]}"];
                }
            }

            foreach (string name in command)
            {
                (int exit, string help, _) = CliRunner.Run([.. name.Split(' '), "--help"]);
                Assert.True(exit == 0, $"README names 'shadowpt {name}', which does not exist");
                foreach (Match option in LongOption().Matches(line))
                {
                    Assert.True(Regex.IsMatch(help, $@"(^|\s|, ){Regex.Escape(option.Value)}(\s|$)", RegexOptions.Multiline), $"README shows 'shadowpt {name} {option.Value}', which its --help does not list");
                    checkedOptions++;
                }
            }
        }

        Assert.True(checkedOptions >= 30, $"{checkedOptions} options checked");
    }

    /// <summary>The command line split into words, with the placeholders made into files.</summary>
    private string[] Args(string commandLine) => commandLine.Split(' ').Select(Placeholder).ToArray();

    private string Placeholder(string word)
    {
        switch (word)
        {
            case "{bad.json}":
                return Write("bad.json", "{ \"name\": \"x\", \"processes\": [");
            case "{semantic.json}":
                return Write("semantic.json", "{ \"name\": \"x\", \"processes\": [ { \"name\": \"t\", \"program\": [ { \"op\": \"frobnicate\" } ] } ] }");
            case "{empty}":
                return Write("empty.json", string.Empty);
            case "{bad.schedule}":
                return Write("bad.schedule", "not a schedule\n");
            case "{truncated.schedule}":
                return Write("truncated.schedule", "shadowpt-schedule 1\nscenario lost-update\n");
            case "{dir}":
                string dir = _dir.File("empty-dir");
                Directory.CreateDirectory(dir);
                return dir;
            default:
                return word;
        }
    }

    private string Write(string name, string text)
    {
        string path = _dir.File(name);
        File.WriteAllText(path, text);
        return path;
    }

    [GeneratedRegex(@"--[a-z][a-z0-9-]*")]
    private static partial Regex LongOption();
}
