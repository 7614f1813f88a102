using ShadowPt.Tests.Host;
using ShadowPt.Visualisation;

namespace ShadowPt.Tests.Visualisation;

/// <summary>shadowpt lockgraph: the lock-class graph of a replayed schedule in DOT, the inversion in red.</summary>
public sealed class LockGraphTests
{
    [Fact]
    public void TheAbbaVariantsGraphHasItsCycleInRedAndTheRestNot()
    {
        using var dir = new TempDir();
        string schedule = VizScenarios.SaveSchedule(dir, "abba", VizScenarios.Abba);
        var result = CliRunner.Run("lockgraph", schedule, "-o", dir.File("graph.dot"));
        Assert.Equal(0, result.Exit);
        string[] dot = File.ReadAllLines(dir.File("graph.dot"));
        Assert.Contains("digraph lockdep {", dot);
        Assert.Contains(dot, l => l.StartsWith("  \"shadowpt lock\" -> \"mm->mmap_lock\" [label=\"Track → Track\\ncpu1 pid 2, step ", StringComparison.Ordinal) && l.EndsWith(", color=red, fontcolor=red, penwidth=2];", StringComparison.Ordinal));
        Assert.Contains(dot, l => l.StartsWith("  \"mm->mmap_lock\" -> \"shadowpt lock\" [label=\"Open → Open", StringComparison.Ordinal) && l.Contains("color=red", StringComparison.Ordinal));
        Assert.Contains("  \"shadowpt lock\" [color=red, fontcolor=red, penwidth=2];", dot);
        Assert.Contains(dot, l => l.StartsWith("  \"mm->mmap_lock\" -> \"mm->page_table_lock or pte_lock\"", StringComparison.Ordinal) && !l.Contains("red", StringComparison.Ordinal));
        string[] edges = [.. dot.Where(l => l.Contains(" -> ", StringComparison.Ordinal) && !l.StartsWith("//", StringComparison.Ordinal))];
        Assert.Equal(edges.Order(StringComparer.Ordinal), edges);
        Assert.Equal(File.ReadAllText(dir.File("graph.dot")), CliRunner.Run("lockgraph", schedule).Out); // stable
    }

    [Fact]
    public void TheCorrectModelsGraphHasNoCycle()
    {
        (_, RunRecording recording) = VizScenarios.RecordDefault();
        var graph = LockGraph.Of(recording.LockDependencies);
        Assert.False(graph.HasCycle);
        Assert.Contains(graph.Edges, e => e.Outer == "mm->mmap_lock" && e.Inner == "shadowpt lock");
        Assert.DoesNotContain("red", graph.ToDot("default"), StringComparison.Ordinal);
    }

    [Fact]
    public void NamesAreEscapedAsDotStrings()
    {
        Assert.Equal("\"a\\\"b\\\\c\\nd\"", LockGraph.Quote("a\"b\\c\nd\u0001"));
        var graph = LockGraph.Of([new LockDependency("x\"];evil", "y", "p", "q", 0, 1, 2), new LockDependency("y", "x\"];evil", "q", "p", 1, 2, 3)]);
        string dot = graph.ToDot("t\"itle");
        Assert.Contains("\"x\\\"];evil\" -> \"y\"", dot, StringComparison.Ordinal);
        Assert.Contains("label=\"t\\\"itle\"", dot, StringComparison.Ordinal);
        Assert.True(graph.HasCycle);
    }
}
