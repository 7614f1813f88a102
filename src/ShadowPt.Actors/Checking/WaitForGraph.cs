using ShadowPt.Kernel;

namespace ShadowPt.Checking;

/// <summary>
/// One edge of the wait-for graph: <see cref="Wait"/>'s task cannot go on before <see cref="Blocker"/>
/// does, because the blocker holds the lock (<see cref="Queued"/> false) or asked for it first in a
/// conflicting mode and will get it first (<see cref="Queued"/> true).
/// </summary>
public sealed record WaitEdge(LockWait Wait, LockOwner Blocker, LockMode BlockerMode, bool Queued);

/// <summary>
/// Who waits for whom, built from the queued lock requests and the lock objects' holders at a
/// quiescent point. Tasks are nodes (a task waits for one lock at a time); a task waiting for a lock
/// has an edge to each holder of it and to each conflicting request queued ahead of it (the locks
/// hand over in FIFO order), except for SRCU, whose synchronizers do not wait for each other.
/// </summary>
public sealed class WaitForGraph
{
    /// <summary>Most nodes a graph has: one per waiting task.</summary>
    public const int NodesMax = LockWaitList.WaitsMax;

    /// <summary>The wait of each waiting owner.</summary>
    private readonly Dictionary<LockOwner, LockWait> _waitOf = new();

    /// <summary>The out-edges of each waiting owner, holders first, then requests queued ahead, oldest first.</summary>
    private readonly Dictionary<LockOwner, List<WaitEdge>> _edges = new();

    private WaitForGraph(IReadOnlyList<LockWait> waits) => Waits = waits;

    /// <summary>Every wait, oldest first.</summary>
    public IReadOnlyList<LockWait> Waits { get; }

    public static WaitForGraph Build(KernelState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        IReadOnlyList<LockWait> waits = state.LockWaits.All;
        Bug.On(waits.Count > NodesMax, "wait-for graph: too many waits");
        var graph = new WaitForGraph(waits);
        foreach (LockWait wait in waits)
        {
            graph._waitOf.Add(wait.Owner, wait);
            var edges = new List<WaitEdge>();
            foreach (LockHolder holder in wait.Lock.Holders(state))
            {
                if (holder.Owner != wait.Owner)
                {
                    edges.Add(new WaitEdge(wait, holder.Owner, holder.Mode, false));
                }
            }

            if (LockOrder.Info(wait.Lock.Class).Kind != LockKind.Srcu)
            {
                foreach (LockWait ahead in waits)
                {
                    bool conflicts = ahead.Mode == LockMode.Exclusive || wait.Mode == LockMode.Exclusive;
                    if (ahead.SinceStep < wait.SinceStep && ahead.Lock == wait.Lock && conflicts)
                    {
                        edges.Add(new WaitEdge(wait, ahead.Owner, ahead.Mode, true));
                    }
                }
            }

            graph._edges.Add(wait.Owner, edges);
        }

        return graph;
    }

    /// <summary>The lock <paramref name="owner"/> waits for, or null when it waits for none.</summary>
    public LockWait? WaitOf(LockOwner owner) => _waitOf.TryGetValue(owner, out LockWait? wait) ? wait : null;

    /// <summary>Whom <paramref name="owner"/> waits for (empty when it waits for no lock, or nobody holds what it waits for).</summary>
    public IReadOnlyList<WaitEdge> EdgesOf(LockOwner owner) => _edges.TryGetValue(owner, out List<WaitEdge>? edges) ? edges : [];

    /// <summary>
    /// The first cycle (searching from the oldest wait), as its edges in order: each edge's blocker is
    /// the next edge's waiter, and the last edge's blocker is the first's. Null when there is none.
    /// An iterative depth-first search, each node visited once.
    /// </summary>
    public IReadOnlyList<WaitEdge>? FindCycle()
    {
        var onPath = new Dictionary<LockOwner, int>();
        var done = new HashSet<LockOwner>();
        var path = new List<(LockOwner Owner, int Next)>();
        var pathEdges = new List<WaitEdge>();
        foreach (LockWait root in Waits)
        {
            if (done.Contains(root.Owner))
            {
                continue;
            }

            path.Add((root.Owner, 0));
            onPath.Add(root.Owner, 0);
            while (path.Count > 0)
            {
                (LockOwner at, int next) = path[^1];
                IReadOnlyList<WaitEdge> edges = EdgesOf(at);
                if (next >= edges.Count)
                {
                    path.RemoveAt(path.Count - 1);
                    onPath.Remove(at);
                    done.Add(at);
                    if (pathEdges.Count > 0)
                    {
                        pathEdges.RemoveAt(pathEdges.Count - 1);
                    }

                    continue;
                }

                path[^1] = (at, next + 1);
                WaitEdge edge = edges[next];
                if (onPath.TryGetValue(edge.Blocker, out int start))
                {
                    pathEdges.Add(edge);
                    return pathEdges.GetRange(start, pathEdges.Count - start);
                }

                if (!done.Contains(edge.Blocker) && _waitOf.ContainsKey(edge.Blocker))
                {
                    Bug.On(path.Count >= NodesMax, "wait-for graph: path longer than the nodes");
                    onPath.Add(edge.Blocker, path.Count);
                    path.Add((edge.Blocker, 0));
                    pathEdges.Add(edge);
                }
            }
        }

        return null;
    }
}
