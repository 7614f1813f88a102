
namespace ShadowPt.Kernel;

/// <summary>
/// An address space (<c>struct mm_struct</c>): its VMAs, its page table, the heap and stack markers,
/// the CPUs that may cache its translations, and its fault counters.
/// </summary>
/// <remarks>
/// include/linux/mm_types.h. The VMA operations that system calls need live in <see cref="Mmap"/>,
/// <see cref="Vma"/>, <see cref="Mprotect"/> and <see cref="Mlock"/>. Lock contract: the VMA set,
/// brk and def_flags change only under mmap_lock held for write; the page table under the PTE
/// page's split lock (entries) or mmap_lock (tables). The memory-subsystem actor owns the instance.
/// </remarks>
public sealed class MmStruct
{
    public MmStruct(MmId id, MmLayout layout, PageTable pgd)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(pgd);
        layout.Validate();
        Id = id;
        Layout = layout;
        Pgd = pgd;
    }

    /// <summary>The mm's identity, also its TLB tag.</summary>
    public MmId Id { get; }

    /// <summary>Placement parameters and limits.</summary>
    public MmLayout Layout { get; }

    /// <summary>mm_mt: the VMAs.</summary>
    public VmaTree Vmas { get; } = new();

    /// <summary>mm->pgd: the page table.</summary>
    public PageTable Pgd { get; }

    /// <summary>start_brk: where the heap begins.</summary>
    public VirtAddr StartBrk { get; private set; }

    /// <summary>brk: the current program break (not necessarily page aligned).</summary>
    public VirtAddr Brk { get; internal set; }

    /// <summary>start_stack: an address inside the initial stack (where argc sits).</summary>
    public VirtAddr StartStack { get; internal set; }

    /// <summary>def_flags: flags every new VMA gets (VM_LOCKED after mlockall(MCL_FUTURE)).</summary>
    public VmFlags DefFlags { get; internal set; }

    /// <summary>mm_cpumask: CPUs that ran this mm since their last full flush of it.</summary>
    public CpuMask MmCpumask { get; private set; }

    /// <summary>Minor faults (min_flt): faults served without I/O.</summary>
    public long MinFlt { get; private set; }

    /// <summary>Major faults (maj_flt): faults that needed I/O (a page-cache miss).</summary>
    public long MajFlt { get; private set; }

    /// <summary>mm_alloc + pgd_alloc: a new mm with an empty page table; null when no frame is left for the PGD.</summary>
    public static MmStruct? MmAlloc(MmId id, MmLayout layout, FrameAllocator frames, Provenance who)
    {
        PageTable? pgd = PageTable.PgdAlloc(frames, who);
        return pgd is null ? null : new MmStruct(id, layout, pgd);
    }

    /// <summary>Sets start_brk and brk, as load_elf_binary does after mapping the program.</summary>
    public void SetBrkBase(VirtAddr startBrk)
    {
        Bug.On(!startBrk.IsPageAligned, "SetBrkBase: start_brk must be page aligned");
        Bug.On(startBrk.Value >= Layout.TaskSize, "SetBrkBase: start_brk above user space");
        StartBrk = startBrk;
        Brk = startBrk;
    }

    /// <summary>cpumask_set_cpu(cpu, mm_cpumask(mm)): the CPU switched to this mm.</summary>
    public void CpumaskSetCpu(CpuId cpu) => MmCpumask = MmCpumask.Set(cpu);

    /// <summary>cpumask_clear_cpu(cpu, mm_cpumask(mm)): the CPU no longer holds this mm's translations.</summary>
    public void CpumaskClearCpu(CpuId cpu) => MmCpumask = MmCpumask.Clear(cpu);

    /// <summary>Counts a minor fault (mm_account_fault).</summary>
    public void CountMinorFault() => MinFlt++;

    /// <summary>Counts a major fault (mm_account_fault with VM_FAULT_MAJOR).</summary>
    public void CountMajorFault() => MajFlt++;

    /// <summary>VMA set invariants plus heap and limit checks; with <paramref name="frames"/>, page-table frames too.</summary>
    public void AssertInvariants(FrameAllocator? frames = null)
    {
        Vmas.AssertInvariants();
        Bug.On(Vmas.Count > Layout.MaxMapCount + 1, "mm: map_count beyond the limit");
        Bug.On(Brk < StartBrk, "mm: brk below start_brk");
        Bug.On(MinFlt < 0 || MajFlt < 0, "mm: negative fault counter");
        Pgd.AssertInvariants(frames);
    }

    public override string ToString() => $"{Id} ({Vmas.Count} vmas, brk {Brk}, cpus {MmCpumask})";
}
