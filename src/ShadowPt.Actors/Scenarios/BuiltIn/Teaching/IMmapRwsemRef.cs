namespace ShadowPt.Kernel;

/// <summary>
/// A file's mapping->i_mmap_rwsem, for the teaching scenarios: the semaphore lives in the ref (one
/// instance per file and run), so a scenario can use a file's lock without a page cache behind it.
/// </summary>
/// <remarks>include/linux/fs.h (i_mmap_lock_write); mm/rmap.c's lock order puts it inside mmap_lock.</remarks>
public sealed record IMmapRwsemRef(string File, RwSemaphore Semaphore) : LockRef
{
    public override LockClass Class => LockClass.IMmapRwsem;

    public override string Name => $"{File}->i_mmap_rwsem";

    public override bool Acquire(KernelState state, LockOwner owner, LockMode mode) =>
        mode == LockMode.Shared ? Semaphore.DownRead(owner) : Semaphore.DownWrite(owner);

    public override IReadOnlyList<LockGrant> Release(KernelState state, LockOwner owner, LockMode mode) =>
        mode == LockMode.Shared ? Semaphore.UpRead(owner) : Semaphore.UpWrite(owner);

    public override IReadOnlyList<LockHolder> Holders(KernelState state) =>
        Semaphore.Writer is LockOwner writer ? [new LockHolder(writer, LockMode.Exclusive)] : Semaphore.Readers.Select(r => new LockHolder(r, LockMode.Shared)).ToArray();
}
