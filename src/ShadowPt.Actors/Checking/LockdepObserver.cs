using System.Globalization;
using ShadowPt.Kernel;
using ShadowPt.Runtime;

namespace ShadowPt.Checking;

/// <summary>Runs the lockdep-style <see cref="LockOrderChecker"/> on every lock a kernel path is about to wait for.</summary>
public sealed class LockdepObserver(ActorSystem system) : KernelObserver
{
    /// <summary>
    /// The held locks of the acquire being checked, refilled for each one: the checker reads the list
    /// during <see cref="LockOrderChecker.OnAcquire"/> and keeps none of it (its edges and reports copy
    /// what they need), so one list serves every acquire.
    /// </summary>
    private readonly List<HeldLock> _held = new(KernelContext.HeldLocksMax);

    public LockOrderChecker Checker { get; } = new();

    /// <summary>The first report, also reported to the run as a violation.</summary>
    public LockReport? Report { get; private set; }

    public override void LockAcquiring(LockEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (Report is not null)
        {
            return;
        }

        List<HeldLock> held = _held;
        held.Clear();
        for (int i = 0; i < e.Held.Count; i++)
        {
            held.Add(ToHeld(e.Held[i]));
        }

        LockReport? report = Checker.OnAcquire(TaskName(e.Pid), CpuName(e.Cpu), ToHeld(e.Lock), held, e.IrqsDisabled);
        if (report is not null)
        {
            Report = report;
            system.ReportViolation(new Violation(report.Kind, report.Text, e.Step, e.Tick));
        }
    }

    /// <summary>lockdep's "bad unlock balance detected": a release by a task that does not hold the lock.</summary>
    public override void LockReleasedUnheld(LockEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (Report is not null)
        {
            return;
        }

        string text = "=====================================\nWARNING: bad unlock balance detected!\n-------------------------------------\n"
            + string.Create(CultureInfo.InvariantCulture, $"pid {e.Pid} ({e.Cpu}) is trying to release lock ({e.Lock.Lock.Name}) at: {e.Lock.Place}\n")
            + "but there are no more locks to release!\n\nother info that might help us debug this:\n"
            + (e.Held.Count == 0 ? "no locks held\n" : string.Concat(e.Held.Select((h, i) => string.Create(CultureInfo.InvariantCulture, $" #{i}: ({h.Lock.Name}), at: {h.Place}\n"))));
        Report = new LockReport("bad-unlock-balance", text);
        system.ReportViolation(new Violation(Report.Kind, text, e.Step, e.Tick));
    }

    /// <summary>Most names kept by <see cref="TaskName"/> and <see cref="CpuName"/>; beyond it they are formatted each time.</summary>
    private const int NamesCachedMax = 1024;

    /// <summary>"pid N" by pid: formatted once per task rather than on every lock operation.</summary>
    private readonly Dictionary<int, string> _taskNames = new();

    /// <summary>"cpuN" by CPU number.</summary>
    private readonly Dictionary<int, string> _cpuNames = new();

    private string TaskName(int pid)
    {
        if (!_taskNames.TryGetValue(pid, out string? name))
        {
            name = string.Create(CultureInfo.InvariantCulture, $"pid {pid}");
            if (_taskNames.Count < NamesCachedMax)
            {
                _taskNames.Add(pid, name);
            }
        }

        return name;
    }

    private string CpuName(CpuId cpu)
    {
        if (!_cpuNames.TryGetValue(cpu.Value, out string? name))
        {
            name = cpu.ToString();
            if (_cpuNames.Count < NamesCachedMax)
            {
                _cpuNames.Add(cpu.Value, name);
            }
        }

        return name;
    }

    /// <summary>
    /// Lock instance names by lock (<c>mm2-&gt;mmap_lock</c>, <c>ptl …</c>): a name is formatted by its lock on
    /// every call, and every acquire names the lock and all those held. Locks are values (records), so equal
    /// locks share the entry; bounded like the task names.
    /// </summary>
    private readonly Dictionary<LockRef, string> _lockNames = new();

    private string LockName(LockRef lockRef)
    {
        if (!_lockNames.TryGetValue(lockRef, out string? name))
        {
            name = lockRef.Name;
            if (_lockNames.Count < NamesCachedMax)
            {
                _lockNames.Add(lockRef, name);
            }
        }

        return name;
    }

    private HeldLock ToHeld(LockUse use) => new(use.Lock.Class, LockName(use.Lock), use.Subclass, use.Place);
}
