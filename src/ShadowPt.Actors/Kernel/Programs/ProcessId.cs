using System.Globalization;

namespace ShadowPt.Kernel.Programs;

/// <summary>
/// A process of a program: <c>p0</c> is the process the program starts in, <c>p1</c>, <c>p2</c>, ...
/// are its children in the order their fork steps run.
/// </summary>
public readonly record struct ProcessId(int Value) : IComparable<ProcessId>
{
    /// <summary>The process every program starts in.</summary>
    public static ProcessId Root => new(0);

    /// <summary>True for <c>p0</c>.</summary>
    public bool IsRoot => Value == 0;

    public int CompareTo(ProcessId other) => Value.CompareTo(other.Value);

    public override string ToString() => "p" + Value.ToString(CultureInfo.InvariantCulture);
}
