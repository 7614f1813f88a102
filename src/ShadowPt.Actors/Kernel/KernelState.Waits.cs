namespace ShadowPt.Kernel;

/// <summary>What checkers read of the kernel state without changing it: lock waits, and lookups that never create.</summary>
public sealed partial class KernelState
{
    /// <summary>The lock requests the memory-subsystem actor queued and has not granted yet.</summary>
    public LockWaitList LockWaits { get; } = new();

    /// <summary>The split lock of a PTE page if it exists; unlike <see cref="PteLockptr"/>, never creates one.</summary>
    public Spinlock? FindPteLockptr(PtePageId page) => _ptls.TryGetValue(page, out Spinlock? ptl) ? ptl : null;

    /// <summary>The state of a subsystem if it has any; unlike <see cref="Extension{T}"/>, never creates it.</summary>
    public T? FindExtension<T>()
        where T : class => _extensions.TryGetValue(typeof(T), out object? state) ? (T)state : null;
}
