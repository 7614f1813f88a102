using System.Globalization;
using System.Text;
using ShadowPt.Runtime.Recording;

namespace ShadowPt.Exploration;

/// <summary>A campaign directory that cannot be used: the message is one line naming the file and what is wrong.</summary>
public sealed class CampaignException : Exception
{
    public CampaignException()
    {
    }

    public CampaignException(string message)
        : base(message)
    {
    }

    public CampaignException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

/// <summary>
/// Durable line files of a campaign: each line ends with <c> crc=HASH</c> over the text before it, and is
/// appended with write + flush to disk before the caller goes on. A kill at any moment leaves at most a
/// torn last line, which reading drops (and a writer truncates away); a bad line before the last is corruption.
/// </summary>
internal static class CampaignFiles
{
    /// <summary>Longest line of a journal or coverage log.</summary>
    public const int LineBytesMax = 16 * 1024 * 1024;

    /// <summary>Largest journal or coverage log read.</summary>
    public const long FileBytesMax = 4L * 1024 * 1024 * 1024;

    public static string WithCrc(string text) => text + " crc=" + TraceHash.OfString(text).ToString("x16", CultureInfo.InvariantCulture);

    /// <summary>Appends <paramref name="line"/> (no newline in it) and its newline, then flushes to disk.</summary>
    public static void AppendDurably(string path, string line)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(line + "\n");
        using var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
        stream.Write(bytes);
        stream.Flush(flushToDisk: true);
    }

    /// <summary>Writes <paramref name="text"/> to a temporary file, flushes it to disk and renames it over <paramref name="path"/>.</summary>
    public static void ReplaceDurably(string path, string text)
    {
        string temporary = path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(Encoding.UTF8.GetBytes(text));
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>
    /// The valid lines of <paramref name="path"/> (their text without the crc) and the byte length of the
    /// valid prefix. A torn or bad last line is dropped; a bad line before it throws.
    /// </summary>
    public static (List<string> Lines, long ValidBytes) ReadLines(string path)
    {
        var lines = new List<string>();
        if (!File.Exists(path))
        {
            return (lines, 0);
        }

        var info = new FileInfo(path);
        if (info.Length > FileBytesMax)
        {
            throw new CampaignException($"{path}: {info.Length} bytes is more than the {FileBytesMax}-byte limit");
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var buffer = new MemoryStream();
        long offset = 0;
        long valid = 0;
        int lineNumber = 0;
        string? pendingError = null;
        int b;
        while ((b = stream.ReadByte()) >= 0)
        {
            offset++;
            if (b != '\n')
            {
                if (buffer.Length >= LineBytesMax)
                {
                    throw new CampaignException($"{path}:{lineNumber + 1}: line longer than {LineBytesMax} bytes");
                }

                buffer.WriteByte((byte)b);
                continue;
            }

            lineNumber++;
            if (pendingError is not null)
            {
                throw new CampaignException(pendingError);
            }

            string? text = Check(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
            buffer.SetLength(0);
            if (text is null)
            {
                pendingError = $"{path}:{lineNumber}: corrupt line (checksum does not match) followed by more lines: the campaign directory was modified";
                continue;
            }

            lines.Add(text);
            valid = offset;
        }

        // A bad last line, or bytes after the last newline, are what a kill during a write leaves: dropped.
        return (lines, valid);
    }

    /// <summary>Drops whatever follows the first <paramref name="validBytes"/> bytes (a torn last line).</summary>
    public static void TruncateTo(string path, long validBytes)
    {
        if (File.Exists(path) && new FileInfo(path).Length > validBytes)
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.None);
            stream.SetLength(validBytes);
            stream.Flush(flushToDisk: true);
        }
    }

    /// <summary>The text of a line whose crc matches, else null.</summary>
    private static string? Check(string line)
    {
        int at = line.LastIndexOf(" crc=", StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }

        string text = line[..at];
        return WithCrc(text) == line ? text : null;
    }

    /// <summary>The <c>key=value</c> fields of a line, in order; duplicate or malformed keys throw.</summary>
    public static Dictionary<string, string> Fields(string text, string where)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string part in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || !fields.TryAdd(part[..eq], part[(eq + 1)..]))
            {
                throw new CampaignException($"{where}: malformed field '{Shorten(part)}'");
            }
        }

        return fields;
    }

    public static long Long(Dictionary<string, string> fields, string key, string where, long min, long max)
    {
        if (!fields.TryGetValue(key, out string? s) || !long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v) || v < min || v > max)
        {
            throw new CampaignException($"{where}: field '{key}' is missing or not an integer from {min} to {max}");
        }

        return v;
    }

    /// <summary>Comma-separated 16-digit hex hashes (empty for none).</summary>
    public static IEnumerable<ulong> Hashes(Dictionary<string, string> fields, string key, string where)
    {
        if (!fields.TryGetValue(key, out string? s))
        {
            throw new CampaignException($"{where}: field '{key}' is missing");
        }

        foreach (string h in s.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            yield return h.Length == 16 && ulong.TryParse(h, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong v)
                ? v
                : throw new CampaignException($"{where}: '{Shorten(h)}' in '{key}' is not a 16-digit hex hash");
        }
    }

    public static string HashList(IEnumerable<ulong> hashes) => string.Join(',', hashes.Select(h => h.ToString("x16", CultureInfo.InvariantCulture)));

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
