
namespace ShadowPt.Kernel;

/// <summary>
/// The VMAs of one mm, sorted by address and never overlapping (the model's maple tree <c>mm_mt</c>).
/// Lookups are binary searches; insertions and removals shift a list bounded by the map-count limit.
/// </summary>
/// <remarks>
/// mm/mmap.c find_vma (first VMA with vm_end &gt; addr), include/linux/mm.h vma_lookup and
/// find_vma_intersection. Lock contract: readers hold mmap_lock (read or write); every mutator is
/// called with mmap_lock held for write, which the memory-subsystem actor asserts.
/// </remarks>
public sealed class VmaTree
{
    /// <summary>Hard ceiling on VMAs whatever the sysctl says; bounds every scan.</summary>
    public const int VmasMax = 1 << 20;

    /// <summary>The VMAs in address order.</summary>
    private readonly List<VmArea> _vmas = new();

    /// <summary>map_count.</summary>
    public int Count => _vmas.Count;

    /// <summary>The VMA at <paramref name="index"/> in address order.</summary>
    public VmArea this[int index] => _vmas[index];

    /// <summary>All VMAs in address order (a live view; do not hold it across changes).</summary>
    public IReadOnlyList<VmArea> All => _vmas;

    /// <summary>Index of the first VMA with VmEnd &gt; <paramref name="address"/>, or <see cref="Count"/>.</summary>
    public int FindVmaIndex(VirtAddr address)
    {
        int low = 0;
        int high = _vmas.Count;
        while (low < high)
        {
            int mid = low + ((high - low) / 2);
            if (_vmas[mid].VmEnd > address)
            {
                high = mid;
            }
            else
            {
                low = mid + 1;
            }
        }

        return low;
    }

    /// <summary>find_vma: the first VMA that ends above <paramref name="address"/> (it may start above it too).</summary>
    public VmArea? FindVma(VirtAddr address)
    {
        int index = FindVmaIndex(address);
        return index < _vmas.Count ? _vmas[index] : null;
    }

    /// <summary>vma_lookup: the VMA containing <paramref name="address"/>, or null.</summary>
    public VmArea? VmaLookup(VirtAddr address)
    {
        VmArea? vma = FindVma(address);
        return vma is not null && vma.VmStart <= address ? vma : null;
    }

    /// <summary>find_vma_intersection: the first VMA overlapping [start, end), or null.</summary>
    public VmArea? FindVmaIntersection(VirtAddr start, VirtAddr end)
    {
        VmArea? vma = FindVma(start);
        return vma is not null && vma.VmStart < end ? vma : null;
    }

    /// <summary>The index of <paramref name="vma"/> (by value), or -1.</summary>
    public int IndexOf(VmArea vma)
    {
        ArgumentNullException.ThrowIfNull(vma);
        int index = FindVmaIndex(vma.VmStart);
        return index < _vmas.Count && _vmas[index] == vma ? index : -1;
    }

    /// <summary>vma_prev: the VMA before index <paramref name="index"/>, or null.</summary>
    public VmArea? Prev(int index) => index > 0 && index <= _vmas.Count ? _vmas[index - 1] : null;

    /// <summary>vma_next: the VMA after index <paramref name="index"/>, or null.</summary>
    public VmArea? Next(int index) => index + 1 < _vmas.Count ? _vmas[index + 1] : null;

    /// <summary>Inserts a VMA that overlaps none; returns its index. Caller holds mmap_lock for write.</summary>
    public int Insert(VmArea vma)
    {
        ArgumentNullException.ThrowIfNull(vma);
        Bug.On(_vmas.Count >= VmasMax, "VmaTree: too many VMAs");
        int index = FindVmaIndex(vma.VmStart);
        Bug.On(index < _vmas.Count && _vmas[index].VmStart < vma.VmEnd, "VmaTree.Insert: overlaps the next VMA");
        Bug.On(index > 0 && _vmas[index - 1].VmEnd > vma.VmStart, "VmaTree.Insert: overlaps the previous VMA");
        _vmas.Insert(index, vma);
        return index;
    }

    /// <summary>Replaces the VMA at <paramref name="index"/> by one covering a range no neighbour overlaps.</summary>
    public void ReplaceAt(int index, VmArea vma)
    {
        ArgumentNullException.ThrowIfNull(vma);
        Bug.On(index < 0 || index >= _vmas.Count, "VmaTree.ReplaceAt: index out of range");
        Bug.On(index > 0 && _vmas[index - 1].VmEnd > vma.VmStart, "VmaTree.ReplaceAt: overlaps the previous VMA");
        Bug.On(index + 1 < _vmas.Count && _vmas[index + 1].VmStart < vma.VmEnd, "VmaTree.ReplaceAt: overlaps the next VMA");
        _vmas[index] = vma;
    }

    /// <summary>Removes and returns the VMA at <paramref name="index"/>.</summary>
    public VmArea RemoveAt(int index)
    {
        Bug.On(index < 0 || index >= _vmas.Count, "VmaTree.RemoveAt: index out of range");
        VmArea vma = _vmas[index];
        _vmas.RemoveAt(index);
        return vma;
    }

    /// <summary>Removes every VMA (exit_mmap) and returns them in address order.</summary>
    public IReadOnlyList<VmArea> RemoveAll()
    {
        VmArea[] all = _vmas.ToArray();
        _vmas.Clear();
        return all;
    }

    /// <summary>
    /// __split_vma: cuts the VMA at <paramref name="index"/> at <paramref name="address"/> into two.
    /// Returns the index of the upper piece. No map-count check; see <see cref="Vma.SplitVma"/>.
    /// </summary>
    public int SplitAt(int index, VirtAddr address)
    {
        Bug.On(index < 0 || index >= _vmas.Count, "VmaTree.SplitAt: index out of range");
        VmArea vma = _vmas[index];
        Bug.On(!address.IsPageAligned || address <= vma.VmStart || address >= vma.VmEnd, "VmaTree.SplitAt: address not strictly inside the VMA");
        Bug.On(_vmas.Count >= VmasMax, "VmaTree: too many VMAs");
        _vmas[index] = vma.WithRange(vma.VmStart, address);
        _vmas.Insert(index + 1, vma.WithRange(address, vma.VmEnd));
        return index + 1;
    }

    /// <summary>Total pages mapped (total_vm).</summary>
    public ulong TotalVmPages()
    {
        ulong pages = 0;
        for (int i = 0; i < _vmas.Count; i++)
        {
            pages += _vmas[i].Pages;
        }

        return pages;
    }

    /// <summary>Pages in VM_LOCKED VMAs (locked_vm).</summary>
    public ulong LockedVmPages()
    {
        ulong pages = 0;
        for (int i = 0; i < _vmas.Count; i++)
        {
            pages += (_vmas[i].VmFlags & VmFlags.Locked) != 0 ? _vmas[i].Pages : 0;
        }

        return pages;
    }

    /// <summary>Checks that the VMAs are non-empty, sorted, non-overlapping and inside user space.</summary>
    public void AssertInvariants()
    {
        Bug.On(_vmas.Count > VmasMax, "VmaTree: too many VMAs");
        for (int i = 0; i < _vmas.Count; i++)
        {
            VmArea vma = _vmas[i];
            Bug.On(vma.VmEnd <= vma.VmStart, "VmaTree: empty VMA");
            Bug.On(vma.VmEnd.Value > PageGeometry.TaskSizeMax, "VmaTree: VMA above user space");
            Bug.On(i > 0 && _vmas[i - 1].VmEnd > vma.VmStart, "VmaTree: VMAs overlap or are out of order");
        }
    }
}
