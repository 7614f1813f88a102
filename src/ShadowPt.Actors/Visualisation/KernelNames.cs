using System.Globalization;
using ShadowPt.Kernel;

namespace ShadowPt.Visualisation;

/// <summary>How the viewers name things in kernel terms: lock operations, system calls, user operations, hex values.</summary>
public static class KernelNames
{
    /// <summary>0x-prefixed lower-case hex.</summary>
    public static string Hex(ulong value) => "0x" + value.ToString("x", CultureInfo.InvariantCulture);

    public static string Dec(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>The kernel call that takes a lock of <paramref name="lockClass"/> in <paramref name="mode"/>: mmap_read_lock, spin_lock, down_write...</summary>
    public static string LockCall(LockClass lockClass, LockMode mode, bool release = false)
    {
        bool shared = mode == LockMode.Shared;
        return lockClass switch
        {
            LockClass.MmapLock => release ? (shared ? "mmap_read_unlock" : "mmap_write_unlock") : (shared ? "mmap_read_lock" : "mmap_write_lock"),
            LockClass.MmuNotifierSrcu => release ? "srcu_read_unlock" : "srcu_read_lock",
            LockClass.FolioLock => release ? "folio_unlock" : "folio_lock",
            _ => LockOrder.Info(lockClass).Kind switch
            {
                LockKind.Spinlock => release ? "spin_unlock" : "spin_lock",
                LockKind.Mutex => release ? "mutex_unlock" : "mutex_lock",
                _ => release ? (shared ? "up_read" : "up_write") : (shared ? "down_read" : "down_write"),
            },
        };
    }

    /// <summary>The lock class's kernel name (mm->mmap_lock, shadowpt lock, ...), the node of the lock graph.</summary>
    public static string ClassName(LockClass lockClass) => LockOrder.Info(lockClass).KernelName;

    /// <summary>A user operation as a timeline names it: sys_mmap, user store, idle.</summary>
    public static string UserOp(UserOp op) => op switch
    {
        SyscallOp s => "sys_" + s.Call.Name,
        AccessOp a => a.Write ? "user store" : "user load",
        WordAccessOp w => w.Write ? "user store (8 bytes)" : "user load (8 bytes)",
        SleepOp => "idle",
        _ => op.GetType().Name,
    };

    /// <summary>The arguments of a user operation: the syscall record's fields, or the address and value of an access.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> UserOpFields(UserOp op) => op switch
    {
        SyscallOp s => [new("args", RecordArgs(s.Call.ToString()))],
        AccessOp a => [new("address", Hex(a.Address.Value)), new("value", Hex(a.Value))],
        WordAccessOp w => [new("address", Hex(w.Address.Value)), new("value", Hex(w.Value))],
        _ => [],
    };

    /// <summary>The inside of a record's ToString: <c>MmapCall { Addr = 0x1, ... }</c> gives <c>Addr = 0x1, ...</c>.</summary>
    private static string RecordArgs(string text)
    {
        int open = text.IndexOf('{', StringComparison.Ordinal);
        int close = text.LastIndexOf('}');
        string inner = open >= 0 && close > open ? text[(open + 1)..close].Trim() : string.Empty;
        return inner.Length > 200 ? inner[..200] + "..." : inner;
    }
}
