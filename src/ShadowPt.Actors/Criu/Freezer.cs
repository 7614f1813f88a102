namespace ShadowPt.Criu;

/// <summary>
/// The freezer (cgroup freezer, kernel/freezer.c) for the tasks a checkpointer freezes: a task asked to
/// freeze enters the refrigerator the next time it returns to user mode (<c>try_to_freeze</c>) and runs
/// no more user code; the freezer reports it frozen only then. Kept in the kernel state.
/// </summary>
public sealed class Freezer
{
    /// <summary>Tasks asked to freeze (freezing()).</summary>
    private readonly HashSet<int> _requested = new();

    /// <summary>Tasks in the refrigerator (frozen()).</summary>
    private readonly HashSet<int> _frozen = new();

    public static Freezer Of(Kernel.KernelState s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return s.Extension<Freezer>();
    }

    /// <summary>freeze_task: asks <paramref name="pid"/> to freeze; true once it is frozen.</summary>
    public bool FreezeTask(int pid)
    {
        _requested.Add(pid);
        return _frozen.Contains(pid);
    }

    /// <summary>try_to_freeze on the way back to user mode: true when the task must stop (it is frozen now).</summary>
    public bool TryToFreeze(int pid)
    {
        if (!_requested.Contains(pid))
        {
            return false;
        }

        _frozen.Add(pid);
        return true;
    }

    public bool IsFrozen(int pid) => _frozen.Contains(pid);
}
