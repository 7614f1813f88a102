using System.Globalization;
using System.Text;
using ShadowPt.Kernel;

namespace ShadowPt.Checking;

/// <summary>
/// The text of deadlock and starvation reports, in the shape of the kernel's lockdep and hung-task
/// reports: for each blocked task, the lock it waits for and where, who holds it and where that one
/// took it, then the scenario as columns (one per CPU) and the locks each task holds.
/// </summary>
public sealed class DeadlockReport(KernelState state, TaskLockTracker tracker)
{
    /// <summary>Most waits or actors one report lists.</summary>
    public const int ListedMax = 16;

    /// <summary>Width of one column of the scenario table.</summary>
    private const int ColumnWidth = 31;

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>A wait-for cycle: every task in it waits for the next; none can go on.</summary>
    public string Cycle(IReadOnlyList<WaitEdge> cycle)
    {
        ArgumentNullException.ThrowIfNull(cycle);
        cycle = FromLowestCpu(cycle);
        var sb = new StringBuilder(Banner(string.Create(Invariant, $"WARNING: deadlock: a wait-for cycle of {cycle.Count} tasks")));
        foreach (WaitEdge edge in cycle)
        {
            AppendWait(sb, edge.Wait);
            AppendBlocker(sb, edge);
            sb.Append('\n');
        }

        sb.Append(" Deadlock scenario:\n\n");
        AppendColumns(sb, cycle);
        sb.Append("\n *** DEADLOCK ***\n\nlocks held:\n");
        foreach (WaitEdge edge in cycle)
        {
            AppendHeld(sb, Pid(edge.Wait.Owner));
        }

        return sb.ToString();
    }

    /// <summary>The run is over and tasks still wait, though no cycle joins them: each with the chain it waits along.</summary>
    public string Stuck(WaitForGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var sb = new StringBuilder(Banner(string.Create(Invariant, $"WARNING: deadlock: the run is over but {Count(graph.Waits.Count, "task")} still {(graph.Waits.Count == 1 ? "waits" : "wait")} for a lock")));
        foreach (LockWait wait in graph.Waits.Take(ListedMax))
        {
            AppendWait(sb, wait);
            IReadOnlyList<WaitEdge> edges = graph.EdgesOf(wait.Owner);
            if (edges.Count == 0)
            {
                sb.Append("which nobody holds and nobody is queued ahead for: the wake-up was lost\n");
            }

            foreach (WaitEdge edge in edges)
            {
                AppendBlocker(sb, edge);
                if (graph.WaitOf(edge.Blocker) is null)
                {
                    sb.Append(Invariant, $"and {Task(edge.Blocker)} is not waiting for a lock: it will never release it\n");
                }
            }

            sb.Append('\n');
        }

        AppendMore(sb, graph.Waits.Count, "\n\n");
        sb.Append("locks held:\n");
        IEnumerable<LockOwner> involved = graph.Waits.Take(ListedMax).SelectMany(w => graph.EdgesOf(w.Owner).Select(e => e.Blocker).Prepend(w.Owner));
        foreach (int pid in involved.Select(Pid).Distinct().Order())
        {
            AppendHeld(sb, pid);
        }

        return sb.ToString();
    }

    /// <summary>The run is over, no task waits for a lock, yet actors are still suspended in a handler: they wait for a reply that cannot come.</summary>
    public static string Suspended(IReadOnlyList<string> actors)
    {
        ArgumentNullException.ThrowIfNull(actors);
        var sb = new StringBuilder(Banner(string.Create(Invariant, $"WARNING: deadlock: the run is over but {Count(actors.Count, "actor")} {(actors.Count == 1 ? "is" : "are")} still suspended")));
        foreach (string actor in actors.Take(ListedMax))
        {
            sb.Append(' ').Append(actor).Append('\n');
        }

        AppendMore(sb, actors.Count, "\n");
        sb.Append("no kernel path waits for a lock: they wait for a message that nothing will send\n");
        return sb.ToString();
    }

    /// <summary>A task waited longer than the bound while other tasks took the lock it waits for.</summary>
    public string Starvation(LockWait wait, LockEvent taken, long stepsMax, int takenByOthers)
    {
        ArgumentNullException.ThrowIfNull(wait);
        ArgumentNullException.ThrowIfNull(taken);
        var sb = new StringBuilder(Banner(string.Create(Invariant, $"WARNING: starvation: a task waited more than {stepsMax} steps for a lock that others kept taking")));
        sb.Append(Invariant, $"{Task(wait.Owner)} has waited {taken.Step - wait.SinceStep} steps (since step {wait.SinceStep}) for lock:\n");
        sb.Append(' ').Append(Describe(wait.Lock, wait.Mode)).Append(", at: ").Append(WaitPlace(wait)).Append('\n');
        sb.Append(Invariant, $"and meanwhile others took it {Count(takenByOthers, "time")}, last {Task(new LockOwner(taken.Pid))} at step {taken.Step}:\n");
        sb.Append(' ').Append(Describe(taken.Lock.Lock, taken.Lock.Mode)).Append(", at: ").Append(taken.Lock.Place).Append('\n');
        return sb.ToString();
    }

    /// <summary>"(mm1-&gt;mmap_lock){mm-&gt;mmap_lock} write": instance, class, and how it is wanted or held.</summary>
    public static string Describe(LockRef lockRef, LockMode mode)
    {
        ArgumentNullException.ThrowIfNull(lockRef);
        LockClassInfo info = LockOrder.Info(lockRef.Class);
        string how = (info.Kind, mode) switch
        {
            (LockKind.RwSemaphore, LockMode.Shared) => " read",
            (LockKind.RwSemaphore, LockMode.Exclusive) => " write",
            (LockKind.Srcu, LockMode.Shared) => " read section",
            (LockKind.Srcu, LockMode.Exclusive) => " synchronize_srcu",
            _ => string.Empty,
        };
        return $"({lockRef.Name}){{{info.KernelName}}}{how}";
    }

    /// <summary>The same cycle, starting with the task on the lowest-numbered CPU (as lockdep's CPU0 column comes first).</summary>
    private IReadOnlyList<WaitEdge> FromLowestCpu(IReadOnlyList<WaitEdge> cycle)
    {
        int first = 0;
        for (int i = 1; i < cycle.Count; i++)
        {
            if (CpuIndex(cycle[i].Wait.Owner) < CpuIndex(cycle[first].Wait.Owner))
            {
                first = i;
            }
        }

        return cycle.Skip(first).Concat(cycle.Take(first)).ToArray();
    }

    private int CpuIndex(LockOwner owner) => tracker.Find(Pid(owner))?.Cpu.Value ?? int.MaxValue;

    private static string Count(int count, string noun) => string.Create(Invariant, $"{count} {noun}{(count == 1 ? string.Empty : "s")}");

    private static string Banner(string title) =>
        "======================================================\n" + title + "\n------------------------------------------------------\n";

    /// <summary>Says how many entries past <see cref="ListedMax"/> a list left out, if any.</summary>
    private static void AppendMore(StringBuilder sb, int count, string end)
    {
        if (count > ListedMax)
        {
            sb.Append(Invariant, $"... and {count - ListedMax} more").Append(end);
        }
    }

    private static int Pid(LockOwner owner) => (int)owner.Id;

    private void AppendWait(StringBuilder sb, LockWait wait)
    {
        sb.Append(Invariant, $"{Task(wait.Owner)} has been blocked since step {wait.SinceStep}, waiting for lock:\n");
        sb.Append(' ').Append(Describe(wait.Lock, wait.Mode)).Append(", at: ").Append(WaitPlace(wait)).Append('\n');
    }

    private void AppendBlocker(StringBuilder sb, WaitEdge edge)
    {
        if (edge.Queued)
        {
            LockWait? ahead = state.LockWaits.Find(edge.Wait.Lock, edge.Blocker);
            sb.Append($"behind {Task(edge.Blocker)}, queued ahead for it:\n");
            sb.Append(' ').Append(Describe(edge.Wait.Lock, edge.BlockerMode)).Append(", at: ").Append(ahead is null ? "?" : WaitPlace(ahead)).Append('\n');
            return;
        }

        sb.Append($"which is held by {Task(edge.Blocker)}:\n");
        sb.Append(' ').Append(Describe(edge.Wait.Lock, edge.BlockerMode)).Append(", at: ").Append(HeldPlace(edge.Blocker, edge.Wait.Lock)).Append('\n');
    }

    /// <summary>
    /// One column per task of the cycle, laid out as lockdep lays out CPU0 and CPU1: first each task
    /// takes the lock the previous one waits for, then each asks for the next one's.
    /// </summary>
    private void AppendColumns(StringBuilder sb, IReadOnlyList<WaitEdge> cycle)
    {
        int n = cycle.Count;
        sb.Append(Header(i => CpuName(cycle[i].Wait.Owner).ToUpperInvariant(), n)).Append(Header(_ => "----", n));
        for (int i = 0; i < n; i++)
        {
            sb.Append(Cell(i, $"lock({cycle[(i + n - 1) % n].Wait.Lock.Name});"));
        }

        for (int i = 0; i < n; i++)
        {
            sb.Append(Cell(i, $"lock({cycle[i].Wait.Lock.Name});"));
        }
    }

    private static string Header(Func<int, string> text, int count)
    {
        var line = new StringBuilder("       ");
        for (int i = 0; i < count; i++)
        {
            line.Append(' ', Math.Max(0, (i * ColumnWidth) - line.Length)).Append(text(i));
        }

        return line.Append('\n').ToString();
    }

    private static string Cell(int column, string text) => (column == 0 ? "  " : new string(' ', column * ColumnWidth)) + text + "\n";

    private void AppendHeld(StringBuilder sb, int pid)
    {
        IReadOnlyList<LockUse> held = tracker.Find(pid)?.Held ?? [];
        sb.Append(Invariant, $"{Count(held.Count, "lock")} held by {Task(new LockOwner(pid))}:\n");
        for (int i = 0; i < held.Count; i++)
        {
            sb.Append(Invariant, $" #{i}: {Describe(held[i].Lock, held[i].Mode)}, at: {held[i].Place}\n");
        }
    }

    /// <summary>"pid 3 (inspector) on cpu1".</summary>
    private string Task(LockOwner owner)
    {
        int pid = Pid(owner);
        string comm = state.FindTask(pid)?.Comm ?? "?";
        return string.Create(Invariant, $"pid {pid} ({comm}) on {CpuName(owner)}");
    }

    /// <summary>The CPU of the task's last lock event, else the CPU it is current on.</summary>
    private string CpuName(LockOwner owner)
    {
        int pid = Pid(owner);
        if (tracker.Find(pid) is { } t)
        {
            return t.Cpu.ToString();
        }

        PerCpuState? cpu = state.PerCpu.FirstOrDefault(c => c.CurrentPid == pid);
        return cpu?.Cpu.ToString() ?? "cpu?";
    }

    private string WaitPlace(LockWait wait) =>
        tracker.Find(Pid(wait.Owner))?.Waiting is LockUse use && use.Lock == wait.Lock ? use.Place : "?";

    private string HeldPlace(LockOwner owner, LockRef lockRef)
    {
        IReadOnlyList<LockUse> held = tracker.Find(Pid(owner))?.Held ?? [];
        for (int i = held.Count - 1; i >= 0; i--)
        {
            if (held[i].Lock == lockRef)
            {
                return held[i].Place;
            }
        }

        return "?";
    }
}
