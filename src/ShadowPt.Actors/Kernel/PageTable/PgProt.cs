namespace ShadowPt.Kernel;

/// <summary>Protection bits for a PTE (<c>pgprot_t</c>), and the x86-64 protection map.</summary>
/// <remarks>
/// arch/x86/include/asm/pgtable_types.h (PAGE_NONE, PAGE_SHARED, PAGE_COPY, PAGE_READONLY, ...) and
/// arch/x86/mm/pgprot.c (protection_map indexed by VM_READ|VM_WRITE|VM_EXEC|VM_SHARED).
/// Private writable mappings get PAGE_COPY (read-only) so the first write faults and copies on write.
/// </remarks>
public readonly record struct PgProt(ulong Value)
{
    public static PgProt PageNone => new(PteBits.ProtNone | PteBits.Accessed);

    public static PgProt PageShared => new(PteBits.Present | PteBits.Rw | PteBits.User | PteBits.Accessed | PteBits.Nx);

    public static PgProt PageSharedExec => new(PteBits.Present | PteBits.Rw | PteBits.User | PteBits.Accessed);

    public static PgProt PageCopy => new(PteBits.Present | PteBits.User | PteBits.Accessed | PteBits.Nx);

    public static PgProt PageCopyExec => new(PteBits.Present | PteBits.User | PteBits.Accessed);

    public static PgProt PageReadonly => new(PteBits.Present | PteBits.User | PteBits.Accessed | PteBits.Nx);

    public static PgProt PageReadonlyExec => new(PteBits.Present | PteBits.User | PteBits.Accessed);

    /// <summary>PAGE_KERNEL: what the kernel maps its own pages with (not user-accessible).</summary>
    public static PgProt PageKernel => new(PteBits.Present | PteBits.Rw | PteBits.Dirty | PteBits.Accessed | PteBits.Global | PteBits.Nx);

    /// <summary>
    /// vm_get_page_prot: the protection for a VMA from its read, write, exec and shared bits.
    /// </summary>
    /// <param name="read">VM_READ.</param>
    /// <param name="write">VM_WRITE.</param>
    /// <param name="exec">VM_EXEC.</param>
    /// <param name="shared">VM_SHARED.</param>
    public static PgProt FromVmBits(bool read, bool write, bool exec, bool shared)
    {
        if (!read && !write && !exec)
        {
            return PageNone;
        }

        if (shared && write)
        {
            return exec ? PageSharedExec : PageShared;
        }

        if (write)
        {
            return exec ? PageCopyExec : PageCopy;
        }

        return exec ? PageReadonlyExec : PageReadonly;
    }

    public override string ToString() => "0x" + Value.ToString("x", System.Globalization.CultureInfo.InvariantCulture);
}
