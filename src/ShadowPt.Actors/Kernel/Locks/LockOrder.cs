namespace ShadowPt.Kernel;

/// <summary>One row of the lock-order table.</summary>
/// <param name="Class">The class.</param>
/// <param name="KernelName">How mm/rmap.c names it.</param>
/// <param name="Kind">The primitive.</param>
/// <param name="NestsInside">The classes directly outside it (the lines above it, one indent less).</param>
/// <param name="SameClassNesting">Two locks of this class may nest with a subclass (mmap_write_lock_nested in dup_mmap, spin_lock_nested of two PTE locks in copy_pte_range and move_ptes).</param>
public sealed record LockClassInfo(LockClass Class, string KernelName, LockKind Kind, IReadOnlyList<LockClass> NestsInside, bool SameClassNesting);

/// <summary>
/// The lock order, written once as data: which lock class may be taken while holding which. The
/// lock-order checker reads it; nothing else encodes the order.
/// </summary>
/// <remarks>
/// From the comment at the top of mm/rmap.c ("Lock ordering in mm"): inode-&gt;i_rwsem, mmap_lock,
/// mapping-&gt;invalidate_lock, folio_lock, vma_start_write, i_mmap_rwsem, anon_vma-&gt;rwsem,
/// page_table_lock or pte_lock, then swap_lock and the page-cache locks. Two additions: the
/// mmu_notifier SRCU read side sits between anon_vma-&gt;rwsem and the PTE lock, because
/// try_to_unmap_one starts invalidate_range under the rmap locks and then takes the PTE lock; the
/// shadow page table lock is innermost, below the PTE lock, because update_shadow_pte runs under the
/// PTE lock in the fault path. The shadow subsystem must therefore never take a PTE lock while
/// holding it; if its design needs that, this row is the one place to change.
/// </remarks>
public static class LockOrder
{
    private static readonly LockClassInfo[] Rows =
    [
        new(LockClass.InodeIRwsem, "inode->i_rwsem", LockKind.RwSemaphore, [], false),
        new(LockClass.MmapLock, "mm->mmap_lock", LockKind.RwSemaphore, [LockClass.InodeIRwsem], true),
        new(LockClass.InvalidateLock, "mapping->invalidate_lock", LockKind.RwSemaphore, [LockClass.MmapLock], false),
        new(LockClass.FolioLock, "folio_lock", LockKind.BitLock, [LockClass.InvalidateLock], false),
        new(LockClass.VmaWriteLock, "vma_start_write", LockKind.RwSemaphore, [LockClass.FolioLock], false),
        new(LockClass.IMmapRwsem, "mapping->i_mmap_rwsem", LockKind.RwSemaphore, [LockClass.VmaWriteLock], false),
        new(LockClass.AnonVmaRwsem, "anon_vma->rwsem", LockKind.RwSemaphore, [LockClass.IMmapRwsem], false),
        new(LockClass.MmuNotifierSrcu, "srcu (mmu_notifier)", LockKind.Srcu, [LockClass.AnonVmaRwsem], false),
        new(LockClass.PageTableLock, "mm->page_table_lock or pte_lock", LockKind.Spinlock, [LockClass.MmuNotifierSrcu], true),
        new(LockClass.ShadowPtLock, "shadowpt lock", LockKind.Spinlock, [LockClass.PageTableLock], false),
        new(LockClass.SwapLock, "swap_lock", LockKind.Spinlock, [LockClass.PageTableLock], false),
        new(LockClass.MmlistLock, "mmlist_lock", LockKind.Spinlock, [LockClass.SwapLock], false),
        new(LockClass.PrivateLock, "mapping->private_lock", LockKind.Spinlock, [LockClass.SwapLock], false),
        new(LockClass.IPagesLock, "i_pages lock", LockKind.Spinlock, [LockClass.PrivateLock], false),
        new(LockClass.LruLock, "lruvec->lru_lock", LockKind.Spinlock, [LockClass.IPagesLock], false),
        new(LockClass.UffdWaitQueue, "userfaultfd wait queue (schedule)", LockKind.Mutex, [], false),
    ];

    /// <summary>Reach[outer, inner]: inner may be taken while outer is held.</summary>
    private static readonly bool[,] Reach = BuildReach();

    /// <summary>The table, one row per class, in <see cref="LockClass"/> order.</summary>
    public static IReadOnlyList<LockClassInfo> Table => Rows;

    /// <summary>The row of <paramref name="lockClass"/>.</summary>
    public static LockClassInfo Info(LockClass lockClass) => Rows[(int)lockClass];

    /// <summary>
    /// True when a lock of class <paramref name="inner"/> may be acquired while one of class
    /// <paramref name="outer"/> is held: outer is above inner in the order. For the same class, true
    /// only for classes with <see cref="LockClassInfo.SameClassNesting"/> and a nonzero subclass.
    /// </summary>
    public static bool MayNestInside(LockClass outer, LockClass inner, int innerSubclass = 0)
    {
        if (outer == inner)
        {
            return innerSubclass > 0 && Info(inner).SameClassNesting;
        }

        return Reach[(int)outer, (int)inner];
    }

    /// <summary>One row per class in order, the table is acyclic, and every reach is one-way.</summary>
    public static void AssertInvariants()
    {
        int count = Enum.GetValues<LockClass>().Length;
        Bug.On(Rows.Length != count, "LockOrder: one row per class");
        for (int i = 0; i < count; i++)
        {
            Bug.On((int)Rows[i].Class != i, "LockOrder: rows out of class order");
            Bug.On(Reach[i, i], "LockOrder: a class reaches itself (cycle)");
            for (int j = 0; j < count; j++)
            {
                Bug.On(Reach[i, j] && Reach[j, i], "LockOrder: two classes nest both ways");
            }
        }
    }

    /// <summary>Transitive closure of the NestsInside edges, by repeated relaxation bounded by the class count.</summary>
    private static bool[,] BuildReach()
    {
        int count = Rows.Length;
        var reach = new bool[count, count];
        foreach (LockClassInfo row in Rows)
        {
            foreach (LockClass outer in row.NestsInside)
            {
                reach[(int)outer, (int)row.Class] = true;
            }
        }

        for (int via = 0; via < count; via++)
        {
            for (int from = 0; from < count; from++)
            {
                for (int to = 0; to < count; to++)
                {
                    reach[from, to] |= reach[from, via] && reach[via, to];
                }
            }
        }

        return reach;
    }
}
