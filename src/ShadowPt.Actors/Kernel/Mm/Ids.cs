using System.Globalization;

namespace ShadowPt.Kernel;

/// <summary>Identifies an mm (address space); TLB entries are tagged with it like a PCID.</summary>
public readonly record struct MmId(int Value)
{
    public override string ToString() => "mm" + Value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Identifies a simulated CPU, 0 to <see cref="CpuMask.CpusMax"/> - 1.</summary>
public readonly record struct CpuId
{
    public CpuId(int value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(value, CpuMask.CpusMax);
        Value = value;
    }

    public int Value { get; }

    public override string ToString() => "cpu" + Value.ToString(CultureInfo.InvariantCulture);
}
