using System.Globalization;

namespace ShadowPt.Kernel.WriteTracking;

/// <summary>One line of /proc/PID/maps as a user-space tool parses it: the range, the protection and the name.</summary>
public sealed record MapsLine(AddrRange Range, Prot Prot, string Name)
{
    /// <summary>Most lines one parse accepts (a bound on the text).</summary>
    public const int LinesMax = 4096;

    /// <summary>Whether the mapping allows writing ('w' in the perms column).</summary>
    public bool Writable => (Prot & Prot.Write) != 0;

    /// <summary>Whether this is the initial stack (named [stack]).</summary>
    public bool IsStack => Name == "[stack]";

    /// <summary>Every line of <paramref name="text"/>; throws <see cref="FormatException"/> on a malformed line.</summary>
    public static IReadOnlyList<MapsLine> ParseAll(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string[] lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length > LinesMax)
        {
            throw new FormatException($"maps: more than {LinesMax} lines");
        }

        return [.. lines.Select(Parse)];
    }

    /// <summary>One line: <c>start-end perms offset dev inode [name]</c>.</summary>
    public static MapsLine Parse(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        string[] fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 5 || fields[1].Length != 4)
        {
            throw new FormatException($"maps: malformed line '{line}'");
        }

        string[] bounds = fields[0].Split('-');
        if (bounds.Length != 2
            || !ulong.TryParse(bounds[0], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong start)
            || !ulong.TryParse(bounds[1], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong end))
        {
            throw new FormatException($"maps: malformed range in '{line}'");
        }

        string perms = fields[1];
        Prot prot = (perms[0] == 'r' ? Prot.Read : Prot.None) | (perms[1] == 'w' ? Prot.Write : Prot.None) | (perms[2] == 'x' ? Prot.Exec : Prot.None);
        string name = fields.Length == 6 ? fields[5].Trim() : string.Empty;
        return new MapsLine(new AddrRange(new VirtAddr(start), new VirtAddr(end)), prot, name);
    }
}
