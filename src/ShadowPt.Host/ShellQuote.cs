namespace ShadowPt.Host;

/// <summary>Quotes a word for a POSIX shell, so a printed command is safe to paste whatever a file name holds.</summary>
internal static class ShellQuote
{
    public static string Quote(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        bool plain = word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/' or ':' or '=' or '+');
        return plain ? word : "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }
}
