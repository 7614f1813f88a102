using System.Collections.Immutable;

namespace ShadowPt.Kernel.Conformance;

/// <summary>
/// Compares two sources' observations of the same program fact by fact, on their canonical lines
/// (<c>key: value</c>): a fact present on one side only, or with different values, is a difference.
/// </summary>
public static class ObservationComparer
{
    /// <summary>Differences listed in a comparison; the rest are only counted.</summary>
    public const int DifferencesReportedMax = 40;

    /// <summary>Compares <paramref name="actual"/> against <paramref name="expected"/>.</summary>
    public static ObservationComparison Compare(ProgramObservations expected, ProgramObservations actual)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(actual);
        if (expected.ProgramName != actual.ProgramName)
        {
            throw new ArgumentException(
                $"cannot compare observations of '{expected.ProgramName}' with those of '{actual.ProgramName}'", nameof(actual));
        }

        List<(string Key, string Value)> left = Split(expected.CanonicalLines());
        List<(string Key, string Value)> right = Split(actual.CanonicalLines());
        Dictionary<string, string> rightByKey = right.ToDictionary(l => l.Key, l => l.Value, StringComparer.Ordinal);
        var leftKeys = new HashSet<string>(left.Select(l => l.Key), StringComparer.Ordinal);

        var differences = new List<ObservationDifference>(DifferencesReportedMax);
        int total = 0;
        foreach ((string key, string value) in left)
        {
            string? other = rightByKey.GetValueOrDefault(key);
            if (other != value)
            {
                total++;
                Report(differences, new ObservationDifference(key, value, other));
            }
        }

        foreach ((string key, string value) in right)
        {
            if (!leftKeys.Contains(key))
            {
                total++;
                Report(differences, new ObservationDifference(key, null, value));
            }
        }

        return new ObservationComparison(
            expected.ProgramName, expected.Source, actual.Source, [.. differences], total);
    }

    private static void Report(List<ObservationDifference> differences, ObservationDifference difference)
    {
        if (differences.Count < DifferencesReportedMax)
        {
            differences.Add(difference);
        }
    }

    /// <summary>Splits each line at its first ": "; keys are unique by construction of the canonical lines.</summary>
    private static List<(string Key, string Value)> Split(ImmutableArray<string> lines)
    {
        var result = new List<(string Key, string Value)>(lines.Length);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string line in lines)
        {
            int colon = line.IndexOf(": ", StringComparison.Ordinal);
            if (colon <= 0)
            {
                throw new InvalidOperationException($"canonical line without a key: '{line}'");
            }

            string key = line[..colon];
            if (!seen.Add(key))
            {
                throw new InvalidOperationException($"canonical key '{key}' appears twice");
            }

            result.Add((key, line[(colon + 2)..]));
        }

        return result;
    }
}
