using System.Text;

namespace ShadowPt.Visualisation;

/// <summary>
/// The lock-class dependency graph of a run (lockdep's: an edge A → B when B was taken while A was
/// held, labelled with where it first happened) with the edges that lie on a cycle, and its Graphviz
/// DOT text: nodes and edges sorted for stable diffs, cycle nodes and edges in red.
/// </summary>
public sealed class LockGraph
{
    private LockGraph(IReadOnlyList<string> nodes, IReadOnlyList<LockDependency> edges, IReadOnlySet<(string, string)> cycleEdges)
    {
        Nodes = nodes;
        Edges = edges;
        CycleEdges = cycleEdges;
    }

    /// <summary>Lock classes, sorted ordinally.</summary>
    public IReadOnlyList<string> Nodes { get; }

    /// <summary>Dependencies, sorted by (outer, inner).</summary>
    public IReadOnlyList<LockDependency> Edges { get; }

    /// <summary>The (outer, inner) pairs that lie on a cycle: an inversion, whether or not the run deadlocked.</summary>
    public IReadOnlySet<(string Outer, string Inner)> CycleEdges { get; }

    public bool HasCycle => CycleEdges.Count > 0;

    public static LockGraph Of(IReadOnlyList<LockDependency> dependencies)
    {
        ArgumentNullException.ThrowIfNull(dependencies);
        LockDependency[] edges = [.. dependencies.OrderBy(d => d.Outer, StringComparer.Ordinal).ThenBy(d => d.Inner, StringComparer.Ordinal)];
        string[] nodes = [.. edges.SelectMany(e => new[] { e.Outer, e.Inner }).Distinct().Order(StringComparer.Ordinal)];
        var cycle = new HashSet<(string, string)>();
        foreach (LockDependency e in edges)
        {
            if (Reaches(edges, e.Inner, e.Outer))
            {
                cycle.Add((e.Outer, e.Inner));
            }
        }

        return new LockGraph(nodes, edges, cycle);
    }

    /// <summary>Whether <paramref name="to"/> is reachable from <paramref name="from"/> (a breadth-first walk, bounded by the edge count).</summary>
    private static bool Reaches(IReadOnlyList<LockDependency> edges, string from, string to)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal) { from };
        var queue = new Queue<string>([from]);
        while (queue.TryDequeue(out string? node))
        {
            if (node == to)
            {
                return true;
            }

            foreach (LockDependency e in edges)
            {
                if (e.Outer == node && seen.Add(e.Inner))
                {
                    queue.Enqueue(e.Inner);
                }
            }
        }

        return false;
    }

    /// <summary>Whether <paramref name="node"/> is on a cycle.</summary>
    public bool OnCycle(string node) => CycleEdges.Any(e => e.Outer == node || e.Inner == node);

    /// <summary>The edge's label: where the outer lock was taken → where the inner one was, by which task, at which step.</summary>
    public static string Label(LockDependency e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return $"{e.OuterPlace} → {e.InnerPlace}\ncpu{KernelNames.Dec(e.Cpu)} pid {KernelNames.Dec(e.Pid)}, step {KernelNames.Dec(e.Step)}";
    }

    /// <summary>The graph in Graphviz DOT; every name is a quoted, escaped DOT string; <paramref name="note"/> becomes a comment line.</summary>
    public string ToDot(string title, string? note = null)
    {
        var dot = new StringBuilder();
        dot.Append("// lock-class dependency graph (lockdep): A -> B when B was taken while A was held\n");
        if (note is not null)
        {
            dot.Append("// ").Append(new string([.. note.Select(c => char.IsControl(c) ? ' ' : c)])).Append('\n');
        }

        dot.Append("// render: dot -Tsvg graph.dot -o graph.svg\n");
        dot.Append("digraph lockdep {\n");
        dot.Append("  graph [label=").Append(Quote(title)).Append(", labelloc=t, rankdir=TB];\n");
        dot.Append("  node [shape=box, fontname=\"monospace\"];\n");
        dot.Append("  edge [fontname=\"monospace\", fontsize=10];\n");
        foreach (string node in Nodes)
        {
            dot.Append("  ").Append(Quote(node));
            dot.Append(OnCycle(node) ? " [color=red, fontcolor=red, penwidth=2];\n" : ";\n");
        }

        foreach (LockDependency e in Edges)
        {
            bool red = CycleEdges.Contains((e.Outer, e.Inner));
            dot.Append("  ").Append(Quote(e.Outer)).Append(" -> ").Append(Quote(e.Inner));
            dot.Append(" [label=").Append(Quote(Label(e)));
            dot.Append(red ? ", color=red, fontcolor=red, penwidth=2];\n" : "];\n");
        }

        dot.Append("}\n");
        return dot.ToString();
    }

    /// <summary>A DOT double-quoted string: backslash and quote escaped, newlines as \n, other control characters dropped.</summary>
    public static string Quote(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var quoted = new StringBuilder("\"");
        foreach (char c in text)
        {
            switch (c)
            {
                case '"' or '\\':
                    quoted.Append('\\').Append(c);
                    break;
                case '\n':
                    quoted.Append("\\n");
                    break;
                default:
                    if (!char.IsControl(c))
                    {
                        quoted.Append(c);
                    }

                    break;
            }
        }

        return quoted.Append('"').ToString();
    }
}
