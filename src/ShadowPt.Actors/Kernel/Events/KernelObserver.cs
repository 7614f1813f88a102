namespace ShadowPt.Kernel;

/// <summary>A lock as an event names it: the lock, how it is (to be) held, its nesting subclass and the kernel function.</summary>
public readonly record struct LockUse(LockRef Lock, LockMode Mode, int Subclass, string Place);

/// <summary>A lock operation of a kernel path: who (CPU, task), which lock, what it holds, at which step.</summary>
public sealed record LockEvent(CpuId Cpu, int Pid, LockUse Lock, IReadOnlyList<LockUse> Held, bool IrqsDisabled, long Step, Runtime.Ticks Tick);

/// <summary>
/// Something that watches the kernel model: a checker. It is called synchronously where the event
/// happens and must never change what the model does (it may only report a violation).
/// </summary>
public abstract partial class KernelObserver
{
    /// <summary>A kernel path is about to wait for a lock (lockdep checks here, before any deadlock).</summary>
    public virtual void LockAcquiring(LockEvent e)
    {
    }

    /// <summary>The lock was granted.</summary>
    public virtual void LockAcquired(LockEvent e)
    {
    }

    /// <summary>The path released the lock.</summary>
    public virtual void LockReleased(LockEvent e)
    {
    }

    /// <summary>The path releases a lock it does not hold (a non-owner's release, or a double release).</summary>
    public virtual void LockReleasedUnheld(LockEvent e)
    {
    }
}

/// <summary>
/// The event stream of one machine: observers attached before the run, called in attachment order.
/// Serialised by a lock so the threaded scheduler may raise events from several threads.
/// </summary>
public sealed partial class KernelEvents
{
    /// <summary>Most observers one machine may have.</summary>
    public const int ObserversMax = 32;

    private readonly List<KernelObserver> _observers = new();

    /// <summary>Serialises observers under the threaded scheduler; null under the deterministic one (one thread runs the whole system).</summary>
    private readonly Lock? _sync;

    /// <summary>An event stream whose observers are called under a lock (the threaded scheduler raises events from several threads).</summary>
    public KernelEvents()
        : this(serialized: true)
    {
    }

    /// <summary>
    /// An event stream; <paramref name="serialized"/> false leaves out the lock around observer calls, for
    /// a machine on the deterministic scheduler, which delivers every message on one thread.
    /// </summary>
    public KernelEvents(bool serialized) => _sync = serialized ? new Lock() : null;

    public bool HasObservers => _observers.Count > 0;

    public IReadOnlyList<KernelObserver> Observers => _observers;

    public void Add(KernelObserver observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        Bug.On(_observers.Count >= ObserversMax, "too many kernel observers");
        _observers.Add(observer);
    }

    /// <summary>
    /// Calls <paramref name="call"/> with every observer and <paramref name="e"/>: with a static lambda
    /// nothing is allocated per event (a capturing <c>o =&gt; o.X(e)</c> costs a closure and a delegate).
    /// </summary>
    internal void Raise<T>(T e, Action<KernelObserver, T> call)
    {
        if (_sync is null)
        {
            foreach (KernelObserver observer in _observers)
            {
                call(observer, e);
            }

            return;
        }

        lock (_sync)
        {
            foreach (KernelObserver observer in _observers)
            {
                call(observer, e);
            }
        }
    }

}
