using System.Globalization;
using System.Text;

namespace ShadowPt.Kernel;

/// <summary>
/// A page-table entry (<c>pte_t</c>): one 64-bit word with x86-64 bits. Present entries hold a pfn and
/// protection bits; non-present, non-none entries hold a swap entry. Every operation returns a new value.
/// </summary>
/// <remarks>
/// Names and semantics follow include/linux/pgtable.h and arch/x86/include/asm/pgtable.h (pte_none,
/// pte_present, pte_write, pte_mkwrite, pte_wrprotect, pte_mkclean, pte_mkold, pte_modify, pte_same) and
/// the swap encoding of arch/x86/include/asm/pgtable_64.h (type in bits 59..63, inverted offset in 9..58).
/// Not modeled: the L1TF pfn inversion of PROT_NONE entries, shadow-stack dirty bits, huge entries.
/// </remarks>
public readonly struct Pte : IEquatable<Pte>
{
    private const int SwpTypeShift = 64 - SwpEntry.TypeBits;
    private const int SwpOffsetShift = 9 + SwpEntry.TypeBits;

    public Pte(ulong value) => Value = value;

    /// <summary>The raw entry (<c>pte_val</c>).</summary>
    public ulong Value { get; }

    /// <summary>The empty entry (<c>__pte(0)</c>).</summary>
    public static Pte None => default;

    /// <summary>pte_none: nothing mapped and no swap entry (hardware-set A/D bits ignored).</summary>
    public bool IsNone => (Value & ~PteBits.KnlErratumMask) == 0;

    /// <summary>pte_present: mapped, including PROT_NONE mappings the MMU refuses.</summary>
    public bool IsPresent => (Value & (PteBits.Present | PteBits.ProtNone)) != 0;

    /// <summary>The MMU's view: the present bit itself (a PROT_NONE entry faults).</summary>
    public bool IsHardwarePresent => (Value & PteBits.Present) != 0;

    /// <summary>pte_protnone: a PROT_NONE mapping.</summary>
    public bool IsProtNone => (Value & (PteBits.ProtNone | PteBits.Present)) == PteBits.ProtNone;

    /// <summary>is_swap_pte: neither none nor present.</summary>
    public bool IsSwap => !IsNone && !IsPresent;

    /// <summary>pte_write.</summary>
    public bool IsWrite => (Value & PteBits.Rw) != 0;

    /// <summary>User-accessible (_PAGE_USER on a present entry).</summary>
    public bool IsUser => IsPresent && (Value & PteBits.User) != 0;

    /// <summary>pte_exec: the NX bit is clear.</summary>
    public bool IsExec => (Value & PteBits.Nx) == 0;

    /// <summary>pte_dirty.</summary>
    public bool IsDirty => (Value & PteBits.Dirty) != 0;

    /// <summary>pte_young: accessed since last cleared.</summary>
    public bool IsYoung => (Value & PteBits.Accessed) != 0;

    /// <summary>pte_soft_dirty (present entries).</summary>
    public bool IsSoftDirty => (Value & PteBits.SoftDirty) != 0;

    /// <summary>pte_uffd_wp (present entries).</summary>
    public bool IsUffdWp => (Value & PteBits.UffdWp) != 0;

    /// <summary>pte_special: no struct page behind it (remap_pfn_range, zero page).</summary>
    public bool IsSpecial => (Value & PteBits.Special) != 0;

    /// <summary>pte_pfn of a present entry.</summary>
    public Pfn Pfn => new((Value & PteBits.PfnMask) >> PageGeometry.PageShift);

    /// <summary>pte_swp_soft_dirty.</summary>
    public bool IsSwpSoftDirty => IsSwap && (Value & PteBits.SwpSoftDirty) != 0;

    /// <summary>pte_swp_uffd_wp.</summary>
    public bool IsSwpUffdWp => IsSwap && (Value & PteBits.SwpUffdWp) != 0;

    /// <summary>pte_swp_exclusive.</summary>
    public bool IsSwpExclusive => IsSwap && (Value & PteBits.SwpExclusive) != 0;

    /// <summary>mk_pte / pfn_pte: map <paramref name="pfn"/> with <paramref name="prot"/>.</summary>
    public static Pte MkPte(Pfn pfn, PgProt prot)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pfn.Value, Pfn.MaxValue);
        Bug.On((prot.Value & PteBits.PfnMask) != 0, "MkPte: protection overlaps the pfn field");
        return new Pte((pfn.Value << PageGeometry.PageShift) | prot.Value);
    }

    /// <summary>swp_entry_to_pte: the non-present entry for a swapped-out page.</summary>
    public static Pte SwpEntryToPte(SwpEntry entry)
    {
        ulong value = ((~entry.Offset) << SwpOffsetShift >> SwpEntry.TypeBits) | ((ulong)entry.Type << SwpTypeShift);
        var pte = new Pte(value);
        Bug.On(!pte.IsSwap, "SwpEntryToPte: encoding is not a swap PTE");
        return pte;
    }

    /// <summary>pte_to_swp_entry: the swap entry of a swap PTE.</summary>
    public SwpEntry PteToSwpEntry()
    {
        Bug.On(!IsSwap, "PteToSwpEntry: not a swap PTE");
        return new SwpEntry((uint)(Value >> SwpTypeShift), (~Value) << SwpEntry.TypeBits >> SwpOffsetShift);
    }

    /// <summary>pte_same: the two entries are identical (the check after retaking the ptl).</summary>
    public static bool PteSame(Pte a, Pte b) => a.Value == b.Value;

    public Pte PteMkWrite() => Set(PteBits.Rw);

    public Pte PteWrProtect() => Clear(PteBits.Rw);

    /// <summary>pte_mkdirty: sets dirty and soft-dirty, as x86 does.</summary>
    public Pte PteMkDirty() => Set(PteBits.Dirty | PteBits.SoftDirty);

    public Pte PteMkClean() => Clear(PteBits.Dirty);

    public Pte PteMkYoung() => Set(PteBits.Accessed);

    public Pte PteMkOld() => Clear(PteBits.Accessed);

    public Pte PteMkSpecial() => Set(PteBits.Special);

    public Pte PteMkSoftDirty() => Set(PteBits.SoftDirty);

    public Pte PteClearSoftDirty() => Clear(PteBits.SoftDirty);

    /// <summary>pte_mkuffd_wp: marks and write-protects, as x86 does.</summary>
    public Pte PteMkUffdWp() => Set(PteBits.UffdWp).PteWrProtect();

    public Pte PteClearUffdWp() => Clear(PteBits.UffdWp);

    /// <summary>pte_swp_mksoft_dirty.</summary>
    public Pte PteSwpMkSoftDirty()
    {
        Bug.On(!IsSwap, "PteSwpMkSoftDirty: not a swap PTE");
        return new Pte(Value | PteBits.SwpSoftDirty);
    }

    /// <summary>pte_swp_mkexclusive.</summary>
    public Pte PteSwpMkExclusive()
    {
        Bug.On(!IsSwap, "PteSwpMkExclusive: not a swap PTE");
        return new Pte(Value | PteBits.SwpExclusive);
    }

    /// <summary>pte_modify: new protection, keeping pfn, caching, special, A/D, soft-dirty and uffd-wp.</summary>
    public Pte PteModify(PgProt newProt)
    {
        Bug.On(!IsPresent, "PteModify: not a present PTE");
        return new Pte((Value & PteBits.ChgMask) | (newProt.Value & ~PteBits.ChgMask));
    }

    public bool Equals(Pte other) => Value == other.Value;

    public override bool Equals(object? obj) => obj is Pte other && Equals(other);

    public override int GetHashCode() => Value.GetHashCode();

    public static bool operator ==(Pte a, Pte b) => a.Value == b.Value;

    public static bool operator !=(Pte a, Pte b) => a.Value != b.Value;

    /// <summary>For example <c>pte 0x8000000000042067 pfn 0x42 P W U A D</c>.</summary>
    public override string ToString()
    {
        var text = new StringBuilder(64);
        text.Append(CultureInfo.InvariantCulture, $"pte 0x{Value:x}");
        if (IsNone)
        {
            return text.Append(" none").ToString();
        }

        if (IsSwap)
        {
            SwpEntry entry = PteToSwpEntry();
            return text.Append(CultureInfo.InvariantCulture, $" swap type {entry.Type} offset 0x{entry.Offset:x}").ToString();
        }

        text.Append(CultureInfo.InvariantCulture, $" pfn {Pfn}");
        AppendFlag(text, IsHardwarePresent, " P");
        AppendFlag(text, IsProtNone, " PROTNONE");
        AppendFlag(text, IsWrite, " W");
        AppendFlag(text, (Value & PteBits.User) != 0, " U");
        AppendFlag(text, IsYoung, " A");
        AppendFlag(text, IsDirty, " D");
        AppendFlag(text, IsSoftDirty, " SD");
        AppendFlag(text, IsUffdWp, " UFFD_WP");
        AppendFlag(text, IsSpecial, " SPECIAL");
        return text.ToString();
    }

    private static void AppendFlag(StringBuilder text, bool on, string name)
    {
        if (on)
        {
            text.Append(name);
        }
    }

    private Pte Set(ulong bits)
    {
        Bug.On(!IsPresent, "PTE flag change on a non-present PTE");
        return new Pte(Value | bits);
    }

    private Pte Clear(ulong bits)
    {
        Bug.On(!IsPresent, "PTE flag change on a non-present PTE");
        return new Pte(Value & ~bits);
    }
}
