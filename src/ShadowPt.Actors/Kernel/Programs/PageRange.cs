namespace ShadowPt.Kernel.Programs;

/// <summary>Pages <c>[Low, High)</c> relative to a label's address; <c>Low</c> may be negative.</summary>
public readonly record struct PageRange(int Low, int High)
{
    /// <summary>Number of pages in the range.</summary>
    public int Count => High - Low;

    /// <summary>True when <paramref name="pageOffset"/> lies in the range.</summary>
    public bool Contains(long pageOffset) => pageOffset >= Low && pageOffset < High;
}
