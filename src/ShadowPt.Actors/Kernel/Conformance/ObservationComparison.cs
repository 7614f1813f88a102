using System.Collections.Immutable;
using System.Globalization;

namespace ShadowPt.Kernel.Conformance;

/// <summary>
/// The result of comparing two sources' observations of one program: the first differences (at
/// most <see cref="ObservationComparer.DifferencesReportedMax"/>) and how many there were in all.
/// </summary>
public sealed record ObservationComparison(
    string ProgramName,
    string ExpectedSource,
    string ActualSource,
    ImmutableArray<ObservationDifference> Differences,
    int DifferencesTotal)
{
    /// <summary>True when every fact agrees.</summary>
    public bool Agree => DifferencesTotal == 0;

    /// <summary>A headline and one indented line per reported difference.</summary>
    public string Describe()
    {
        if (Agree)
        {
            return $"{ProgramName}: agree ({ExpectedSource} = {ActualSource})";
        }

        var lines = new List<string>(Differences.Length + 2)
        {
            string.Create(CultureInfo.InvariantCulture, $"{ProgramName}: {DifferencesTotal} difference(s), {ExpectedSource} vs {ActualSource}"),
        };
        lines.AddRange(Differences.Select(d => "  " + d.Describe(ExpectedSource, ActualSource)));
        if (DifferencesTotal > Differences.Length)
        {
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"  ... and {DifferencesTotal - Differences.Length} more"));
        }

        return string.Join('\n', lines);
    }
}
