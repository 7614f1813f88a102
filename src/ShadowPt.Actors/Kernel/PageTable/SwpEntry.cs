namespace ShadowPt.Kernel;

/// <summary>An arch-independent swap entry: swap type (device) and offset (slot).</summary>
/// <remarks>include/linux/swapops.h (swp_entry, swp_type, swp_offset); MAX_SWAPFILES_SHIFT = 5.</remarks>
public readonly record struct SwpEntry
{
    /// <summary>SWP_TYPE_BITS: 5 bits of type.</summary>
    public const int TypeBits = 5;

    /// <summary>Offsets fit in 50 bits (bits 9..58 of the PTE).</summary>
    public const int OffsetBits = 50;

    public SwpEntry(uint type, ulong offset)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(type, 1u << TypeBits);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(offset, 1UL << OffsetBits);
        Type = type;
        Offset = offset;
    }

    /// <summary>swp_type: which swap device.</summary>
    public uint Type { get; }

    /// <summary>swp_offset: the slot on that device.</summary>
    public ulong Offset { get; }
}
