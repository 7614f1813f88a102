namespace ShadowPt.Kernel.Conformance;

/// <summary>
/// One fact on which two sources disagree: its key (e.g. <c>step 2 p0 page a+0</c>) and each
/// side's value, null when that side has no such fact.
/// </summary>
public sealed record ObservationDifference(string Key, string? Expected, string? Actual)
{
    /// <summary>The difference in one line, naming the two sources.</summary>
    public string Describe(string expectedSource, string actualSource) =>
        $"{Key}: {expectedSource} {Quote(Expected)}, {actualSource} {Quote(Actual)}";

    public override string ToString() => Describe("expected", "actual");

    private static string Quote(string? value) => value is null ? "(missing)" : $"'{value}'";
}
