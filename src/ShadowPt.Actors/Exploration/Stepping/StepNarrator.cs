using System.Globalization;
using ShadowPt.Actors;
using ShadowPt.Checking;
using ShadowPt.Kernel;
using ShadowPt.Runtime.Strategies;

namespace ShadowPt.Exploration.Stepping;

/// <summary>
/// Says in kernel terms what an enabled delivery would do ("cpu1 truncate-2: wants mm1->mmap_lock
/// (read)", "memory: grant mm1->mmap_lock (write) to cpu0 mapper-1"), and what each task holds and waits
/// for. It learns which CPU and task each actor stands for, and what each awaits, from the deliveries it
/// is told of, in order; it only reads the kernel state, between steps.
/// </summary>
public sealed class StepNarrator
{
    /// <summary>Most actors it remembers; more are described by their path only.</summary>
    public const int ActorsMax = 4096;

    private readonly Machine? _machine;

    /// <summary>Per-task locks from the lock events.</summary>
    private readonly TaskLockTracker _locks = new();

    /// <summary>Actor path → "cpu0 mapper-1", from the memory operations and lock requests it sent.</summary>
    private readonly Dictionary<string, string> _who = new(StringComparer.Ordinal);

    /// <summary>Actor path → what it awaits from the memory actor (an operation, or a lock).</summary>
    private readonly Dictionary<string, string> _awaits = new(StringComparer.Ordinal);

    /// <summary>A narrator for <paramref name="machine"/> (null for a scenario without one); attaches its lock observer.</summary>
    public StepNarrator(Machine? machine)
    {
        _machine = machine;
        machine?.Events.Add(new LockFeed(_locks));
    }

    /// <summary>Called before each delivery happens, replayed or chosen.</summary>
    public void OnDelivering(StepOption option)
    {
        ArgumentNullException.ThrowIfNull(option);
        switch (option.Message)
        {
            case MemOp op:
                Remember(option.Sender, Who(op.Cpu, op.Pid), op.What);
                break;
            case LockRequest request:
                Remember(option.Sender, WhoOwns(request.Owner.Id, option.Sender), $"{request.Lock.Name} ({Mode(request.Mode)})");
                break;
        }
    }

    /// <summary>One line: what delivering <paramref name="option"/> does.</summary>
    public string Describe(StepOption option)
    {
        ArgumentNullException.ThrowIfNull(option);
        string receiver = Leaf(option.Receiver);
        string who = _who.TryGetValue(option.Receiver, out string? w) ? w : receiver;
        return option.Message switch
        {
            LockRequest r => $"memory: {Grant(r)}",
            LockRelease r => $"memory: {WhoOwns(r.Owner.Id, option.Sender)} releases {r.Lock.Name} ({Mode(r.Mode)})",
            MemOp op => $"memory: {op.What} for {Who(op.Cpu, op.Pid)}",
            UserRequest u => $"{receiver}: {TaskName(u.Pid)} enters the kernel: {Op(u.Op)}",
            FlushTlbIpi ipi => $"{receiver}: takes the TLB-flush IPI from {Leaf(option.Sender)}: flush_tlb_func {ipi.Mm} {(ipi.FullMm ? "(all)" : ipi.Range.ToString())}",
            TlbFlushAck => $"{who}: gets {Leaf(option.Sender)}'s TLB-flush acknowledgement",
            LockGranted => $"{who}: gets {Awaited(option.Receiver)}, goes on",
            MemReply => $"{who}: continues after {Awaited(option.Receiver)}",
            UserResult r => $"{receiver}: back in user space ({Result(r)})",
            ProcessActor.Start => $"{receiver}: starts",
            Runtime.Scheduling.ResumeMarker => option.Sender == "(timer)" ? $"{who}: timer fires, resumes" : $"{who}: resumes",
            _ => $"{receiver}: {option.Message.GetType().Name} from {Leaf(option.Sender)}",
        };
    }

    /// <summary>One line per task holding or waiting for a lock, in pid order.</summary>
    public IReadOnlyList<string> LockLines()
    {
        var lines = new List<string>();
        foreach (TaskLocks t in _locks.Tasks)
        {
            if (t.Held.Count == 0 && t.Waiting is null)
            {
                continue;
            }

            string held = t.Held.Count == 0 ? "holds nothing" : "holds " + string.Join(", ", t.Held.Select(Use));
            string waits = t.Waiting is LockUse waiting ? $"; waits for {Use(waiting)}" : "";
            lines.Add($"{TaskName(t.Pid)} on {t.Cpu} {held}{waits}");
        }

        return lines;
    }

    private void Remember(string path, string who, string awaits)
    {
        if (_who.Count < ActorsMax || _who.ContainsKey(path))
        {
            _who[path] = who;
            _awaits[path] = awaits;
        }
    }

    private string Awaited(string path) => _awaits.TryGetValue(path, out string? what) ? what : "its reply";

    /// <summary>What the memory actor does with a lock request now: grant it, or queue it behind the holders.</summary>
    private string Grant(LockRequest r)
    {
        string who = TaskName((int)r.Owner.Id);
        IReadOnlyList<LockHolder> holders = _machine is null ? [] : r.Lock.Holders(_machine.State);
        LockHolder[] conflicting = holders.Where(h => h.Owner != r.Owner && (r.Mode == LockMode.Exclusive || h.Mode == LockMode.Exclusive)).ToArray();
        return conflicting.Length == 0
            ? $"grant {r.Lock.Name} ({Mode(r.Mode)}) to {CpuOf((int)r.Owner.Id)}{who}"
            : $"{CpuOf((int)r.Owner.Id)}{who} must wait for {r.Lock.Name} ({Mode(r.Mode)}): held by {string.Join(", ", conflicting.Select(h => TaskName((int)h.Owner.Id)))}";
    }

    private string CpuOf(int pid) => _locks.Find(pid) is { } t ? $"{t.Cpu} " : "";

    private string WhoOwns(long pid, string path) => _who.TryGetValue(path, out string? w) ? w : TaskName((int)pid);

    private string Who(CpuId? cpu, int pid) => cpu is CpuId c ? $"{c} {TaskName(pid)}" : TaskName(pid);

    private string TaskName(int pid)
    {
        if (pid == 0)
        {
            return "swapper";
        }

        string comm = _machine?.State.FindTask(pid)?.Comm ?? "pid";
        return string.Create(CultureInfo.InvariantCulture, $"{comm}-{pid}");
    }

    private static string Use(LockUse use) => $"{use.Lock.Name} ({Mode(use.Mode)}) at {use.Place}";

    private static string Mode(LockMode mode) => mode == LockMode.Shared ? "read" : "write";

    private static string Leaf(string path) => path[(path.LastIndexOf('/') + 1)..];

    private static string Op(UserOp op) => op switch
    {
        AccessOp a => a.Write ? $"store 0x{a.Value:x2} at {a.Address} (may fault)" : $"load from {a.Address} (may fault)",
        WordAccessOp w => w.Write ? $"store a word at {w.Address}" : $"load a word from {w.Address}",
        SyscallOp s => "syscall " + SyscallName(s.Call),
        SleepOp => "sleep (schedule to idle)",
        _ => op.GetType().Name,
    };

    private static string SyscallName(Syscall call)
    {
        string name = call.GetType().Name;
        return (name.EndsWith("Call", StringComparison.Ordinal) ? name[..^4] : name).ToLowerInvariant();
    }

    private static string Result(UserResult r) => r.Killed ? "killed" : r.Segv ? "SIGSEGV" : string.Create(CultureInfo.InvariantCulture, $"ret {r.Ret}, value 0x{r.Value:x2}");

    /// <summary>Forwards lock events to the tracker.</summary>
    private sealed class LockFeed(TaskLockTracker tracker) : KernelObserver
    {
        public override void LockAcquiring(LockEvent e) => tracker.OnAcquiring(e);

        public override void LockAcquired(LockEvent e) => tracker.OnAcquired(e);

        public override void LockReleased(LockEvent e) => tracker.OnReleased(e);
    }
}
