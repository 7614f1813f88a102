using System.Globalization;

namespace ShadowPt.Benchmarking;

/// <summary>One measured figure: <c>ToString()</c> gives the <c>name: value unit</c> line that <c>shadowpt bench runtime</c> prints.</summary>
public sealed record BenchFigure(string Name, double Value, string Unit)
{
    /// <summary>Whole numbers for rates, three decimals for small values such as bytes per delivery.</summary>
    public override string ToString()
    {
        string value = Math.Abs(Value) >= 1000
            ? Value.ToString("F0", CultureInfo.InvariantCulture)
            : Value.ToString("0.###", CultureInfo.InvariantCulture);
        return $"{Name}: {value} {Unit}";
    }
}
