namespace ShadowPt.Runtime;

/// <summary>Simulated time. Moves only through the scheduler, never with the wall clock.</summary>
public readonly record struct Ticks(long Value) : IComparable<Ticks>
{
    /// <summary>The start of every run.</summary>
    public static Ticks Zero => new(0);

    public int CompareTo(Ticks other) => Value.CompareTo(other.Value);

    public static Ticks operator +(Ticks a, long delta) => new(checked(a.Value + delta));

    public static bool operator <(Ticks a, Ticks b) => a.Value < b.Value;

    public static bool operator >(Ticks a, Ticks b) => a.Value > b.Value;

    public static bool operator <=(Ticks a, Ticks b) => a.Value <= b.Value;

    public static bool operator >=(Ticks a, Ticks b) => a.Value >= b.Value;

    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
