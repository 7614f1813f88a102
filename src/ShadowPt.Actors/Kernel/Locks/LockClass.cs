namespace ShadowPt.Kernel;

/// <summary>
/// Lock classes of the model, named after the locks in the ordering comment at the top of
/// mm/rmap.c, plus SRCU for mmu_notifier and a slot for the shadow page table's lock.
/// </summary>
public enum LockClass
{
    /// <summary>inode-&gt;i_rwsem (while writing or truncating, not reading or faulting).</summary>
    InodeIRwsem,

    /// <summary>mm-&gt;mmap_lock.</summary>
    MmapLock,

    /// <summary>mapping-&gt;invalidate_lock (in filemap_fault).</summary>
    InvalidateLock,

    /// <summary>folio_lock (PG_locked).</summary>
    FolioLock,

    /// <summary>vma_start_write: the per-VMA write lock.</summary>
    VmaWriteLock,

    /// <summary>mapping-&gt;i_mmap_rwsem.</summary>
    IMmapRwsem,

    /// <summary>anon_vma-&gt;rwsem.</summary>
    AnonVmaRwsem,

    /// <summary>The SRCU read side that mmu_notifier callbacks run under (srcu in mm/mmu_notifier.c).</summary>
    MmuNotifierSrcu,

    /// <summary>mm-&gt;page_table_lock or a split PTE lock (pte_lockptr).</summary>
    PageTableLock,

    /// <summary>The shadow page table's lock, added by the shadow subsystem; innermost.</summary>
    ShadowPtLock,

    /// <summary>swap_lock (in swap_duplicate, swap_info_get).</summary>
    SwapLock,

    /// <summary>mmlist_lock (in mmput, drain_mmlist and others).</summary>
    MmlistLock,

    /// <summary>mapping-&gt;private_lock (in block_dirty_folio).</summary>
    PrivateLock,

    /// <summary>i_pages lock (the page cache xarray lock).</summary>
    IPagesLock,

    /// <summary>lruvec-&gt;lru_lock (in folio_lruvec_lock_irq).</summary>
    LruLock,

    /// <summary>A sleep on a userfaultfd wait queue (fs/userfaultfd.c); never held, only waited for, with no lock held.</summary>
    UffdWaitQueue,
}

/// <summary>The primitive behind a lock class, which decides whether its holder may sleep.</summary>
public enum LockKind
{
    /// <summary>struct rw_semaphore: sleeping, readers share.</summary>
    RwSemaphore,

    /// <summary>struct mutex: sleeping, exclusive.</summary>
    Mutex,

    /// <summary>spinlock_t: atomic context while held, exclusive.</summary>
    Spinlock,

    /// <summary>A bit lock that sleeps (folio_lock).</summary>
    BitLock,

    /// <summary>srcu_struct: readers never block each other; synchronize_srcu waits for readers.</summary>
    Srcu,
}

/// <summary>Which way a lock is held or requested.</summary>
public enum LockMode
{
    /// <summary>Shared: down_read, srcu_read_lock.</summary>
    Shared,

    /// <summary>Exclusive: down_write, spin_lock, mutex_lock.</summary>
    Exclusive,
}

/// <summary>An opaque lock holder or waiter (a task on a CPU); the actor layer decides what it names.</summary>
public readonly record struct LockOwner(long Id)
{
    public override string ToString() => "owner" + Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>A lock handed to a waiter on release: the actor layer turns each into a reply message.</summary>
public readonly record struct LockGrant(LockOwner Owner, LockMode Mode);

/// <summary>A queued request.</summary>
public readonly record struct LockWaiter(LockOwner Owner, LockMode Mode);
