using System.Collections.Immutable;
using System.Globalization;

namespace ShadowPt.Kernel.Conformance;

/// <summary>The comparisons of a conformance run, one per program, in program order.</summary>
public sealed record ConformanceReport(ImmutableArray<ObservationComparison> Comparisons)
{
    /// <summary>Programs on which both sources agree on every fact.</summary>
    public int Agreed => Comparisons.Count(c => c.Agree);

    /// <summary>Programs compared.</summary>
    public int Total => Comparisons.Length;

    /// <summary>The headline, <c>agree: K/N</c>.</summary>
    public string Summary => string.Create(CultureInfo.InvariantCulture, $"agree: {Agreed}/{Total}");

    /// <summary>Every comparison, then the headline.</summary>
    public string Describe() =>
        string.Join('\n', Comparisons.Select(c => c.Describe()).Append(Summary));
}
