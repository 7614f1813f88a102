namespace ShadowPt.Kernel.Programs;

/// <summary>
/// Where a program's labelled mappings go. Each label owns a slot of <see cref="SlotStrideBytes"/>
/// and is mapped at <see cref="SlotBaseOffsetBytes"/> into it (MAP_FIXED_NOREPLACE natively), so
/// two labels never become neighbours that the kernel could merge, and a grows-down mapping has far
/// more than <c>stack_guard_gap</c> (256 pages by default) free below it. The simulator places
/// labels the same way; only addresses relative to a label are ever compared.
/// </summary>
public static class LabelLayout
{
    /// <summary>Bytes of a page.</summary>
    public const long PageBytes = 4096;

    /// <summary>Distance between the slots of two consecutive labels.</summary>
    public const long SlotStrideBytes = 8L << 20;

    /// <summary>Offset of a label's address inside its slot.</summary>
    public const long SlotBaseOffsetBytes = 4L << 20;

    /// <summary>The address of the label with definition index <paramref name="labelIndex"/>.</summary>
    public static long LabelAddress(long arenaAddress, int labelIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(arenaAddress);
        ArgumentOutOfRangeException.ThrowIfNegative(labelIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(labelIndex, ProgramLimits.LabelsMax);
        return arenaAddress + (labelIndex * SlotStrideBytes) + SlotBaseOffsetBytes;
    }
}
