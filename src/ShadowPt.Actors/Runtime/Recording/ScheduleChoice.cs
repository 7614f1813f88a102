namespace ShadowPt.Runtime.Recording;

/// <summary>The kind of a scheduling point.</summary>
public enum ChoiceKind : byte
{
    /// <summary>Which enabled delivery happened; the value is the channel id.</summary>
    Delivery = 0,

    /// <summary>A nondeterministic boolean; the value is 0 or 1.</summary>
    Boolean = 1,

    /// <summary>A nondeterministic integer; the value is the integer.</summary>
    Integer = 2,
}

/// <summary>One recorded choice.</summary>
public readonly record struct ScheduleChoice(ChoiceKind Kind, int Value)
{
    /// <summary>Largest value a choice can carry.</summary>
    public const int ValueMax = (1 << 29) - 1;

    /// <summary>The token in a schedule file: d, b or i followed by the value.</summary>
    public override string ToString() => Kind switch
    {
        ChoiceKind.Delivery => "d",
        ChoiceKind.Boolean => "b",
        _ => "i",
    } + Value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    internal int Encode() => (Value << 2) | (int)Kind;

    internal static ScheduleChoice Decode(int code) => new((ChoiceKind)(code & 3), code >>> 2);
}
