using System.Text;
using ShadowPt.Kernel;

namespace ShadowPt.Checking;

/// <summary>A lock as the checker sees it: its class, the instance name, and the nesting subclass it was taken with.</summary>
public readonly record struct HeldLock(LockClass Class, string Instance, int Subclass, string Place);

/// <summary>
/// Lockdep for the model: tracks lock <em>classes</em>, records every "B taken while holding A" edge
/// with where it first happened, and reports a cycle of any length as soon as the edge that closes it
/// appears, whether or not this run deadlocked. Also checks the documented order table
/// (<see cref="LockOrder"/>), recursive locking, and sleeping locks taken in atomic context.
/// Reports are in the shape kernel developers know from kernel/locking/lockdep.c.
/// </summary>
public sealed class LockOrderChecker
{
    /// <summary>Most distinct dependency edges kept.</summary>
    public const int EdgesMax = 4096;

    /// <summary>Dependencies: for each class, the classes taken while it was held, with the first place each edge happened.</summary>
    private readonly Dictionary<LockClass, SortedDictionary<LockClass, EdgeInfo>> _after = new();

    public int EdgeCount { get; private set; }

    /// <summary>The edges, sorted, for the lock graph.</summary>
    public IEnumerable<(LockClass Outer, LockClass Inner, EdgeInfo Info)> Edges =>
        _after.OrderBy(a => a.Key).SelectMany(a => a.Value.Select(b => (a.Key, b.Key, b.Value)));

    /// <summary>
    /// Called before <paramref name="task"/> on <paramref name="cpu"/> waits for <paramref name="acquiring"/>
    /// while holding <paramref name="held"/>. Returns the report of the first problem, or null.
    /// </summary>
    public LockReport? OnAcquire(string task, string cpu, HeldLock acquiring, IReadOnlyList<HeldLock> held, bool irqsDisabled)
    {
        ArgumentNullException.ThrowIfNull(held);
        LockClassInfo info = LockOrder.Info(acquiring.Class);
        bool sleeping = info.Kind is LockKind.RwSemaphore or LockKind.Mutex or LockKind.BitLock;
        HeldLock? spin = null;
        for (int i = held.Count - 1; i >= 0; i--)
        {
            if (LockOrder.Info(held[i].Class).Kind == LockKind.Spinlock)
            {
                spin = held[i];
                break;
            }
        }

        if (sleeping && (irqsDisabled || spin is not null))
        {
            return new LockReport("sleep-in-atomic", SleepInAtomic(task, cpu, acquiring, spin, irqsDisabled));
        }

        for (int i = 0; i < held.Count; i++)
        {
            HeldLock h = held[i];
            if (h.Instance == acquiring.Instance)
            {
                return new LockReport("recursive-locking", Recursive(task, cpu, acquiring, h, held));
            }

            if (h.Class == acquiring.Class && (acquiring.Subclass == h.Subclass || !info.SameClassNesting))
            {
                return new LockReport("recursive-locking", Recursive(task, cpu, acquiring, h, held));
            }
        }

        for (int i = 0; i < held.Count; i++)
        {
            HeldLock h = held[i];
            if (h.Class == acquiring.Class)
            {
                continue; // annotated same-class nesting (mmap_write_lock_nested, spin_lock_nested)
            }

            if (!LockOrder.MayNestInside(h.Class, acquiring.Class))
            {
                List<LockClass>? cycle = Path(acquiring.Class, h.Class);
                return cycle is not null
                    ? new LockReport("circular-locking", Circular(task, cpu, acquiring, h, held, cycle))
                    : new LockReport("lock-order-table", AgainstTable(task, cpu, acquiring, h, held));
            }

            List<LockClass>? path = Path(acquiring.Class, h.Class);
            if (path is not null)
            {
                return new LockReport("circular-locking", Circular(task, cpu, acquiring, h, held, path));
            }
        }

        for (int i = 0; i < held.Count; i++)
        {
            HeldLock h = held[i];
            if (h.Class != acquiring.Class)
            {
                AddEdge(h, acquiring, task);
            }
        }

        return null;
    }

    /// <summary>The dependency path from <paramref name="from"/> to <paramref name="to"/> through recorded edges, or null (breadth first, bounded).</summary>
    private List<LockClass>? Path(LockClass from, LockClass to)
    {
        if (from != to && !_after.ContainsKey(from))
        {
            return null; // nothing was ever taken while holding from: no path, and nothing to allocate for the search
        }

        var previous = new Dictionary<LockClass, LockClass> { [from] = from };
        var queue = new Queue<LockClass>();
        queue.Enqueue(from);
        while (queue.Count > 0)
        {
            LockClass at = queue.Dequeue();
            if (at == to)
            {
                var path = new List<LockClass> { to };
                while (path[^1] != from)
                {
                    path.Add(previous[path[^1]]);
                }

                path.Reverse();
                return path;
            }

            if (_after.TryGetValue(at, out SortedDictionary<LockClass, EdgeInfo>? next))
            {
                foreach (LockClass n in next.Keys.Where(n => !previous.ContainsKey(n)))
                {
                    previous[n] = at;
                    queue.Enqueue(n);
                }
            }
        }

        return null;
    }

    private void AddEdge(HeldLock outer, HeldLock inner, string task)
    {
        if (!_after.TryGetValue(outer.Class, out SortedDictionary<LockClass, EdgeInfo>? next))
        {
            next = new SortedDictionary<LockClass, EdgeInfo>();
            _after.Add(outer.Class, next);
        }

        if (!next.ContainsKey(inner.Class) && EdgeCount < EdgesMax)
        {
            next.Add(inner.Class, new EdgeInfo(outer.Instance, outer.Place, inner.Instance, inner.Place, task));
            EdgeCount++;
        }
    }

    private static string Name(LockClass c) => LockOrder.Info(c).KernelName;

    private static string Banner(string title) =>
        "======================================================\n" + title + "\n------------------------------------------------------\n";

    private static string HeldList(IReadOnlyList<HeldLock> held)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < held.Count; i++)
        {
            sb.Append(System.Globalization.CultureInfo.InvariantCulture, $" #{i}: ({held[i].Instance}){{{Name(held[i].Class)}}}, at: {held[i].Place}\n");
        }

        return sb.ToString();
    }

    private string Circular(string task, string cpu, HeldLock acquiring, HeldLock holding, IReadOnlyList<HeldLock> held, List<LockClass> path)
    {
        var sb = new StringBuilder(Banner("WARNING: possible circular locking dependency detected"));
        sb.Append($"{task} ({cpu}) is trying to acquire lock:\n ({acquiring.Instance}){{{Name(acquiring.Class)}}}, at: {acquiring.Place}\n\n");
        sb.Append($"but task is already holding lock:\n ({holding.Instance}){{{Name(holding.Class)}}}, at: {holding.Place}\n\n");
        sb.Append("which lock already depends on the new lock.\n\nthe existing dependency chain (in reverse order) is:\n");
        // From the lock held back to the lock wanted, which is #0, as lockdep prints it.
        for (int j = path.Count - 1; j > 0; j--)
        {
            EdgeInfo e = _after[path[j - 1]][path[j]];
            sb.Append(System.Globalization.CultureInfo.InvariantCulture, $"-> #{j} ({Name(path[j])}): taken at {e.InnerPlace} while holding ({Name(path[j - 1])}) [{e.Task}]\n");
        }

        EdgeInfo first = _after[path[0]][path[1]];
        sb.Append($"-> #0 ({Name(path[0])}): taken at {first.OuterPlace} [{first.Task}]\n\n");
        sb.Append("other info that might help us debug this:\n\n Possible unsafe locking scenario:\n\n");
        string a = Name(acquiring.Class);
        string b = Name(holding.Class);
        sb.Append("       CPU0                    CPU1\n       ----                    ----\n");
        sb.Append($"  lock({a});\n");
        sb.Append($"                               lock({b});\n");
        sb.Append($"                               lock({a});\n");
        sb.Append($"  lock({b});\n\n *** DEADLOCK ***\n\n");
        sb.Append("locks held:\n").Append(HeldList(held));
        return sb.ToString();
    }

    private static string AgainstTable(string task, string cpu, HeldLock acquiring, HeldLock holding, IReadOnlyList<HeldLock> held) =>
        Banner("WARNING: lock order violates the documented order (mm/rmap.c)")
        + $"{task} ({cpu}) is trying to acquire lock:\n ({acquiring.Instance}){{{Name(acquiring.Class)}}}, at: {acquiring.Place}\n\n"
        + $"while holding:\n ({holding.Instance}){{{Name(holding.Class)}}}, at: {holding.Place}\n\n"
        + $"but the lock order table says {Name(acquiring.Class)} is taken before {Name(holding.Class)}, never inside it.\n\nlocks held:\n"
        + HeldList(held);

    private static string Recursive(string task, string cpu, HeldLock acquiring, HeldLock holding, IReadOnlyList<HeldLock> held) =>
        Banner("WARNING: possible recursive locking detected")
        + $"{task} ({cpu}) is trying to acquire lock:\n ({acquiring.Instance}){{{Name(acquiring.Class)}}}, at: {acquiring.Place}\n\n"
        + $"but task is already holding lock:\n ({holding.Instance}){{{Name(holding.Class)}}}, at: {holding.Place}\n\n"
        + " Possible unsafe locking scenario:\n\n       CPU0\n       ----\n"
        + $"  lock({Name(holding.Class)});\n  lock({Name(acquiring.Class)});\n\n *** DEADLOCK ***\n\n May be due to missing lock nesting notation\n\nlocks held:\n"
        + HeldList(held);

    private static string SleepInAtomic(string task, string cpu, HeldLock acquiring, HeldLock? spin, bool irqsDisabled) =>
        Banner("BUG: sleeping function called from invalid context")
        + $"{task} ({cpu}) takes the sleeping lock ({acquiring.Instance}){{{Name(acquiring.Class)}}} at {acquiring.Place}\n"
        + $"irqs_disabled(): {(irqsDisabled ? 1 : 0)}, non_block: 0, holding spinlock: {(spin is HeldLock s ? $"({s.Instance}) at {s.Place}" : "none")}\n";
}

/// <summary>Where a dependency edge was first seen.</summary>
public sealed record EdgeInfo(string OuterInstance, string OuterPlace, string InnerInstance, string InnerPlace, string Task);

/// <summary>A lock checker's finding: the violation kind and the report text.</summary>
public sealed record LockReport(string Kind, string Text);
