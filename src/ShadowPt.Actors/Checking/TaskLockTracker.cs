using ShadowPt.Kernel;

namespace ShadowPt.Checking;

/// <summary>What the lock events said last about one task: its CPU, the lock it is about to wait for, the locks it holds.</summary>
public sealed class TaskLocks(int pid)
{
    public int Pid { get; } = pid;

    /// <summary>The CPU of the task's last lock event.</summary>
    public CpuId Cpu { get; internal set; }

    /// <summary>The lock the task asked for and has not been granted yet (from LockAcquiring to LockAcquired).</summary>
    public LockUse? Waiting { get; internal set; }

    /// <summary>The locks the task holds, outermost first, with where each was taken.</summary>
    public IReadOnlyList<LockUse> Held { get; internal set; } = [];

    /// <summary>How many times other tasks took <see cref="Waiting"/> since this task asked for it.</summary>
    public int TakenByOthers { get; internal set; }
}

/// <summary>
/// Follows the lock events of a machine to know, per task, where (CPU, kernel function) it waits and
/// what it holds: the places the lock objects themselves do not know. Lock events carry the whole held
/// list, so the tracker copies it at each event instead of replaying acquisitions (locks noted inside a
/// memory operation, and downgrades, appear there too).
/// </summary>
public sealed class TaskLockTracker
{
    /// <summary>Most tasks tracked: every task of a machine.</summary>
    public const int TasksMax = MachineConfig.TasksMax;

    /// <summary>Tasks by pid, for the lookup of every lock event.</summary>
    private readonly Dictionary<int, TaskLocks> _tasks = new();

    /// <summary>The same tasks in pid order, so that reports and scans are deterministic (a list: scanned on every acquire without allocating).</summary>
    private readonly List<TaskLocks> _inPidOrder = new();

    /// <summary>The tasks seen so far, by pid.</summary>
    public IEnumerable<TaskLocks> Tasks => _inPidOrder;

    /// <summary><see cref="Tasks"/> as a list, for the scans of every lock event.</summary>
    internal IReadOnlyList<TaskLocks> InPidOrder => _inPidOrder;

    /// <summary>What the events said about <paramref name="pid"/>, or null when it took no lock yet.</summary>
    public TaskLocks? Find(int pid) => _tasks.TryGetValue(pid, out TaskLocks? t) ? t : null;

    public void OnAcquiring(LockEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        TaskLocks t = Get(e);
        t.Waiting = e.Lock;
        t.TakenByOthers = 0;
    }

    /// <summary>The task got the lock; every other task waiting for the same lock saw it taken once more.</summary>
    public void OnAcquired(LockEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        Get(e).Waiting = null;
        foreach (TaskLocks other in _inPidOrder)
        {
            if (other.Pid != e.Pid && other.Waiting is LockUse waiting && waiting.Lock == e.Lock.Lock)
            {
                other.TakenByOthers++;
            }
        }
    }

    public void OnReleased(LockEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        Get(e);
    }

    private TaskLocks Get(LockEvent e)
    {
        if (!_tasks.TryGetValue(e.Pid, out TaskLocks? t))
        {
            Bug.On(_tasks.Count >= TasksMax, $"lock tracker: more than {TasksMax} tasks");
            t = new TaskLocks(e.Pid);
            _tasks.Add(e.Pid, t);
            int at = 0;
            while (at < _inPidOrder.Count && _inPidOrder[at].Pid < e.Pid)
            {
                at++;
            }

            _inPidOrder.Insert(at, t);
        }

        t.Cpu = e.Cpu;
        t.Held = e.Held;
        return t;
    }
}
