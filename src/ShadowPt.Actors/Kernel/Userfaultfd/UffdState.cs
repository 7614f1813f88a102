using System.Globalization;

namespace ShadowPt.Kernel;

/// <summary>
/// The userfaultfd subsystem's state in <see cref="KernelState"/> (an extension): every context, the
/// descriptors each task holds, descriptors in flight over a socket (SCM_RIGHTS, as CRIU hands the
/// descriptor to its monitor), which context each mm is registered with, and the wake-ups of tasks
/// sleeping in handle_userfault, read() or an event. Touched only inside memory operations.
/// </summary>
/// <remarks>
/// A VMA does not carry its <c>vm_userfaultfd_ctx</c> in the model: its VM_UFFD_* flags say that it is
/// registered and <see cref="RegisteredCtx"/> says with which context (one per mm; docs/fidelity.md).
/// </remarks>
public sealed class UffdState
{
    /// <summary>Every context, by id - 1.</summary>
    private readonly List<UserfaultfdCtx> _contexts = new();

    /// <summary>Descriptor tables: pid → descriptor → context id.</summary>
    private readonly Dictionary<int, SortedDictionary<int, int>> _fds = new();

    /// <summary>Descriptors sent to a task and not yet received, in send order.</summary>
    private readonly Dictionary<int, Queue<int>> _inFlight = new();

    /// <summary>The context each mm is registered with.</summary>
    private readonly Dictionary<MmId, int> _registered = new();

    /// <summary>Tasks woken before they slept (their next wait returns at once).</summary>
    private readonly Dictionary<int, bool> _wakeTokens = new();

    /// <summary>Tasks blocked on a context: pid → context id (faults and events).</summary>
    private readonly Dictionary<int, int> _blocked = new();

    /// <summary>Tasks waiting in recvmsg for a descriptor.</summary>
    private readonly List<int> _receivers = new();

    /// <summary>FORK events owed by dup_userfaultfd to dup_userfaultfd_complete: (parent context, child context).</summary>
    public List<(int Parent, int Child)> PendingForks { get; } = new();

    /// <summary>Every context, oldest first.</summary>
    public IReadOnlyList<UserfaultfdCtx> Contexts => _contexts;

    /// <summary>Tasks blocked in handle_userfault (or waiting for an event to be read), with their context.</summary>
    public IReadOnlyDictionary<int, int> Blocked => _blocked;

    /// <summary>How many times a task went to sleep in handle_userfault.</summary>
    public int FaultsBlocked { get; internal set; }

    /// <summary>The results of the userfaultfd system calls except read(), in order (pid, ioctl, return), for observers and tests.</summary>
    public List<(int Pid, string Call, long Ret)> IoctlLog { get; } = new();

    /// <summary>userfaultfd(): a new context on <paramref name="mm"/>, one reference.</summary>
    public UserfaultfdCtx NewCtx(MmId mm)
    {
        Bug.On(_contexts.Count >= UffdApi.ContextsMax, $"more than {UffdApi.ContextsMax} userfaultfd contexts");
        var ctx = new UserfaultfdCtx(_contexts.Count + 1, mm);
        _contexts.Add(ctx);
        return ctx;
    }

    public UserfaultfdCtx Ctx(int id) => (uint)(id - 1) < (uint)_contexts.Count ? _contexts[id - 1] : throw new KernelBugException($"no userfaultfd ctx {id}");

    /// <summary>fd_install: the lowest free descriptor of <paramref name="pid"/> now refers to <paramref name="ctx"/>; -EMFILE as -1.</summary>
    public int InstallFd(int pid, UserfaultfdCtx ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        if (!_fds.TryGetValue(pid, out SortedDictionary<int, int>? table))
        {
            table = new SortedDictionary<int, int>();
            _fds[pid] = table;
        }

        if (table.Count >= UffdApi.FdsMax)
        {
            return -1;
        }

        int fd = UffdApi.FirstFd;
        while (table.ContainsKey(fd))
        {
            fd++;
        }

        table[fd] = ctx.Id;
        ctx.FileRefs++;
        return fd;
    }

    /// <summary>fdget: the context behind <paramref name="fd"/> of <paramref name="pid"/>, or null (-EBADF).</summary>
    public UserfaultfdCtx? FdCtx(int pid, int fd) =>
        _fds.TryGetValue(pid, out SortedDictionary<int, int>? table) && table.TryGetValue(fd, out int id) ? Ctx(id) : null;

    /// <summary>The descriptors of <paramref name="pid"/>, ascending.</summary>
    public IReadOnlyList<(int Fd, int CtxId)> FdsOf(int pid) =>
        _fds.TryGetValue(pid, out SortedDictionary<int, int>? table) ? table.Select(p => (p.Key, p.Value)).ToArray() : [];

    /// <summary>
    /// Closes every descriptor of an exiting task (exit_files → fput); returns the contexts whose
    /// last reference went (userfaultfd_release must run for them).
    /// </summary>
    public IReadOnlyList<UserfaultfdCtx> CloseAll(int pid)
    {
        if (!_fds.Remove(pid, out SortedDictionary<int, int>? table))
        {
            return [];
        }

        var released = new List<UserfaultfdCtx>();
        foreach (int id in table.Values)
        {
            UserfaultfdCtx ctx = Ctx(id);
            if (--ctx.FileRefs == 0)
            {
                released.Add(ctx);
            }
        }

        return released;
    }

    /// <summary>dup_fd at fork: the child gets a copy of every descriptor.</summary>
    public void DupFds(int parent, int child)
    {
        foreach ((int fd, int id) in FdsOf(parent))
        {
            _fds.TryAdd(child, new SortedDictionary<int, int>());
            _fds[child][fd] = id;
            Ctx(id).FileRefs++;
        }
    }

    /// <summary>sendmsg(SCM_RIGHTS): <paramref name="ctx"/> travels to <paramref name="toPid"/> (a reference rides with it).</summary>
    public void Send(KernelState s, int toPid, UserfaultfdCtx ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        if (!_inFlight.TryGetValue(toPid, out Queue<int>? queue))
        {
            queue = new Queue<int>();
            _inFlight[toPid] = queue;
        }

        Bug.On(queue.Count >= UffdApi.FdsMax, "too many descriptors in flight");
        queue.Enqueue(ctx.Id);
        ctx.FileRefs++;
        if (_receivers.Remove(toPid))
        {
            Wake(s, toPid);
        }
    }

    /// <summary>recvmsg(SCM_RIGHTS): the next descriptor sent to <paramref name="pid"/>, installed; null when none came yet (the caller waits).</summary>
    public int? Receive(int pid)
    {
        if (!_inFlight.TryGetValue(pid, out Queue<int>? queue) || queue.Count == 0)
        {
            if (!_receivers.Contains(pid))
            {
                _receivers.Add(pid);
            }

            return null;
        }

        UserfaultfdCtx ctx = Ctx(queue.Dequeue());
        int fd = InstallFd(pid, ctx);
        ctx.FileRefs--; // the reference that travelled now belongs to the descriptor
        return fd;
    }

    /// <summary>The context registered on <paramref name="mm"/>, if any.</summary>
    public UserfaultfdCtx? RegisteredCtx(MmId mm) => _registered.TryGetValue(mm, out int id) ? Ctx(id) : null;

    /// <summary>Binds (or unbinds, with null) the registrations of <paramref name="mm"/> to a context.</summary>
    public void SetRegistered(MmId mm, UserfaultfdCtx? ctx)
    {
        if (ctx is null)
        {
            _registered.Remove(mm);
        }
        else
        {
            _registered[mm] = ctx.Id;
        }
    }

    /// <summary>Notes that <paramref name="pid"/> is about to sleep on <paramref name="ctx"/>.</summary>
    public void NoteBlocked(int pid, UserfaultfdCtx ctx) => _blocked[pid] = ctx.Id;

    /// <summary>The task is running again.</summary>
    public void NoteRunning(int pid) => _blocked.Remove(pid);

    /// <summary>
    /// wake_up_process for a task sleeping (or about to sleep) on a userfaultfd wait queue: answers its
    /// queued wait if it already sleeps, otherwise leaves a token so its wait returns at once. The task
    /// put itself on the queue before it could be woken (prepare_to_wait), so no wake-up is lost.
    /// </summary>
    public void Wake(KernelState s, int pid)
    {
        ArgumentNullException.ThrowIfNull(s);
        var wait = new UffdWaitRef(pid);
        var owner = new LockOwner(pid);
        if (s.LockWaits.Find(wait, owner) is not null)
        {
            s.PendingGrants.Enqueue((wait, new LockGrant(owner, LockMode.Exclusive)));
        }
        else
        {
            _wakeTokens[pid] = true;
        }
    }

    /// <summary>Whether a wake-up came before the sleep (consumed).</summary>
    internal bool ConsumeWakeToken(int pid) => _wakeTokens.Remove(pid);

    /// <summary>Every context's invariants.</summary>
    public void AssertInvariants()
    {
        foreach (UserfaultfdCtx ctx in _contexts)
        {
            ctx.AssertInvariants();
        }
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{_contexts.Count} uffd contexts, {_blocked.Count} blocked tasks");
}

/// <summary>
/// The sleep of one task on a userfaultfd wait queue (handle_userfault's schedule(), read() on an
/// empty queue, an event waiting to be read, recvmsg waiting for a descriptor), queued in the memory
/// actor like a lock request so that the deadlock checker sees a task that is never woken.
/// </summary>
public sealed record UffdWaitRef(int Pid) : LockRef
{
    public override LockClass Class => LockClass.UffdWaitQueue;

    public override string Name => string.Create(CultureInfo.InvariantCulture, $"uffd wait of pid {Pid}");

    /// <summary>Returns at once when the task was woken before it slept; otherwise it sleeps until <see cref="UffdState.Wake"/>.</summary>
    public override bool Acquire(KernelState state, LockOwner owner, LockMode mode)
    {
        ArgumentNullException.ThrowIfNull(state);
        return state.Extension<UffdState>().ConsumeWakeToken(Pid);
    }

    /// <summary>Nobody releases a sleep; a wake-up is a grant.</summary>
    public override IReadOnlyList<LockGrant> Release(KernelState state, LockOwner owner, LockMode mode) =>
        throw new KernelBugException($"{Name} released: a sleep is ended by a wake-up only");
}
