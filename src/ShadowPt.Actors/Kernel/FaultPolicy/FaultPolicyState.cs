namespace ShadowPt.Kernel;

/// <summary>What the fault policy did, kept in the kernel state (<see cref="KernelState.Extension{T}"/>).</summary>
public sealed class FaultPolicyState
{
    /// <summary>Retries of the fault each task is in the middle of (a task faults one address at a time).</summary>
    private readonly Dictionary<int, (VirtAddr Page, int Retries)> _pending = new();

    /// <summary>Faults of the chosen process the policy answered with a mapped page.</summary>
    public long Mapped { get; private set; }

    /// <summary>Of those, the ones the policy mapped only because the fault could not retry (limit reached, or no FAULT_FLAG_ALLOW_RETRY).</summary>
    public long MappedForced { get; private set; }

    /// <summary>Faults answered with VM_FAULT_RETRY.</summary>
    public long Retried { get; private set; }

    /// <summary>Mapped faults that had been retried at least once before.</summary>
    public long MappedAfterRetry { get; private set; }

    /// <summary>Most retries one fault took.</summary>
    public int LongestRetryChain { get; private set; }

    /// <summary>Retries the fault of <paramref name="pid"/> at <paramref name="page"/> has had so far.</summary>
    public int RetriesOf(int pid, VirtAddr page) =>
        _pending.TryGetValue(pid, out (VirtAddr Page, int Retries) p) && p.Page == page ? p.Retries : 0;

    /// <summary>Records a retry answer.</summary>
    public void NoteRetry(int pid, VirtAddr page)
    {
        int retries = RetriesOf(pid, page) + 1;
        _pending[pid] = (page, retries);
        Retried++;
        LongestRetryChain = Math.Max(LongestRetryChain, retries);
    }

    /// <summary>Records a mapped answer (or a fault that ended otherwise), ending the task's retry chain.</summary>
    public void NoteMapped(int pid, VirtAddr page, bool forced)
    {
        if (RetriesOf(pid, page) > 0)
        {
            MappedAfterRetry++;
        }

        _pending.Remove(pid);
        Mapped++;
        if (forced)
        {
            MappedForced++;
        }
    }

    /// <summary>Forgets the retry chain of <paramref name="pid"/> (its fault ended without the policy mapping).</summary>
    public void Forget(int pid) => _pending.Remove(pid);

    public override string ToString() =>
        $"fault policy: {Mapped} mapped ({MappedForced} forced, {MappedAfterRetry} after retries), {Retried} retried, longest chain {LongestRetryChain}";
}
