using ShadowPt.Kernel;
using ShadowPt.Runtime.Async;

namespace ShadowPt.Criu;

/// <summary>
/// Where a checkpointer's system call leaves what it read, as a user buffer would hold it: the caller
/// owns it and reads it after the call returned (the reply orders the two).
/// </summary>
public sealed class UserBuffer<T>
    where T : class
{
    public T? Value { get; set; }

    /// <summary>Constant: a buffer is part of a request's trace text, its contents are not.</summary>
    public override string ToString() => "buf";
}

/// <summary>The dumper's collection: maps, pagemap and (when <see cref="Clear"/>) clear_refs 4 of <see cref="Pid"/>, atomically.</summary>
public sealed record CriuCollectCall(int Pid, bool Clear, bool Snapshot, UserBuffer<Collected> Out) : Syscall
{
    public override string Name => "criu_collect";
}

/// <summary>process_vm_readv of whole pages of <see cref="Pid"/>.</summary>
public sealed record CriuReadPagesCall(int Pid, IReadOnlyList<ulong> Addresses, UserBuffer<byte[]?[]> Out) : Syscall
{
    public override string Name => "process_vm_readv";

    public override string ToString() => $"CriuReadPagesCall {{ Pid = {Pid}, Pages = {Addresses.Count} }}";
}

/// <summary>Freeze (or ask the state of freezing) <see cref="Pid"/>: 1 when frozen, 0 not yet, -ESRCH.</summary>
public sealed record FreezeCall(int Pid) : Syscall
{
    public override string Name => "freeze";
}

/// <summary>try_to_freeze on the way back to user mode: 1 when the caller is frozen now and must stop.</summary>
public sealed record TryToFreezeCall : Syscall
{
    public override string Name => "try_to_freeze";
}

/// <summary>The restorer writes one page of its own memory.</summary>
public sealed record CriuRestorePageCall(ulong Address, byte[] Contents) : Syscall
{
    public override string Name => "criu_restore_page";

    public override string ToString() => $"CriuRestorePageCall {{ Address = 0x{Address:x} }}";
}

/// <summary>Registers the checkpointer's calls with <see cref="ExtraSyscalls"/> (idempotent).</summary>
public static class CriuSyscalls
{
    /// <summary>Registers the handlers; call before a run that uses them.</summary>
    public static void Register()
    {
        ExtraSyscalls.Register<CriuCollectCall>(Collect);
        ExtraSyscalls.Register<CriuReadPagesCall>(ReadPages);
        ExtraSyscalls.Register<FreezeCall>(Freeze);
        ExtraSyscalls.Register<TryToFreezeCall>(TryToFreeze);
        ExtraSyscalls.Register<CriuRestorePageCall>(RestorePage);
    }

    private static async ActorTask<long> Collect(KernelContext k, CriuCollectCall call)
    {
        Collected? collected = await CriuKernel.CollectAndClear(k, call.Pid, call.Clear, call.Snapshot);
        call.Out.Value = collected;
        return collected is null ? Syscalls.Err(Errno.ESRCH) : collected.Pages.Count;
    }

    private static async ActorTask<long> ReadPages(KernelContext k, CriuReadPagesCall call)
    {
        byte[]?[]? pages = await CriuKernel.ReadPages(k, call.Pid, call.Addresses);
        call.Out.Value = pages;
        return pages is null ? Syscalls.Err(Errno.ESRCH) : pages.Count(p => p is not null);
    }

    private static async ActorTask<long> Freeze(KernelContext k, FreezeCall call)
    {
        int pid = call.Pid;
        return await k.Mem("freeze_task", s =>
            s.FindTask(pid) is not { Exited: false } ? Syscalls.Err(Errno.ESRCH) : Freezer.Of(s).FreezeTask(pid) ? 1L : 0L);
    }

    private static async ActorTask<long> TryToFreeze(KernelContext k, TryToFreezeCall call)
    {
        int pid = k.CurrentPid;
        return await k.Mem("try_to_freeze", s => Freezer.Of(s).TryToFreeze(pid) ? 1L : 0L);
    }

    private static async ActorTask<long> RestorePage(KernelContext k, CriuRestorePageCall call) =>
        await CriuKernel.RestorePage(k, call.Address, call.Contents) ? 0 : Syscalls.Err(Errno.EFAULT);
}
