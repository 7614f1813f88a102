using System.Globalization;

namespace ShadowPt.Kernel.Conformance;

/// <summary>
/// A VMA that intersects a labelled region: <c>[StartPage, EndPage)</c> in pages relative to the
/// label's address, and permissions as /proc/PID/maps prints them (<c>rw-p</c>, <c>r--s</c>).
/// </summary>
public sealed record VmaFact(long StartPage, long EndPage, string Perms)
{
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"[{StartPage},{EndPage}) {Perms}");

    /// <summary>True for four letters <c>[r-][w-][x-][ps]</c>.</summary>
    public static bool IsValidPerms(string? perms) =>
        perms is { Length: 4 }
        && perms[0] is 'r' or '-'
        && perms[1] is 'w' or '-'
        && perms[2] is 'x' or '-'
        && perms[3] is 'p' or 's';
}
