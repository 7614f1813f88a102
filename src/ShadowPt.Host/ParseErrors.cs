using System.Text.RegularExpressions;

namespace ShadowPt.Host;

/// <summary>Parser messages said for people: "--seed expects a whole number from 0 to ..., not 'abc'" rather than a .NET type name.</summary>
internal static partial class ParseErrors
{
    /// <summary><paramref name="message"/>, with System.CommandLine's "Cannot parse argument ... as expected type ..." rewritten.</summary>
    public static string Friendly(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        Match m = CannotParse().Match(message);
        if (!m.Success)
        {
            return message;
        }

        string type = m.Groups["type"].Value;
        string expected = type.Contains("UInt64", StringComparison.Ordinal) ? "a whole number from 0 to 18446744073709551615"
            : type.Contains("Int32", StringComparison.Ordinal) || type.Contains("Int64", StringComparison.Ordinal) ? "a whole number"
            : type.Contains("Double", StringComparison.Ordinal) ? "a number"
            : "a value of another form";
        return $"{m.Groups["what"].Value} expects {expected}, not '{m.Groups["value"].Value}'";
    }

    [GeneratedRegex(@"^Cannot parse argument '(?<value>.*)' for (?:option|argument) '(?<what>[^']*)' as expected type '(?<type>[^']*)'\.?$", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex CannotParse();
}
