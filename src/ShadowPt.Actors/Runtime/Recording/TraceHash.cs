namespace ShadowPt.Runtime.Recording;

/// <summary>
/// A running 64-bit hash of everything observable that happened in a run. Two runs with equal
/// hashes made the same deliveries in the same order with the same messages.
/// </summary>
public struct TraceHash
{
    private const ulong Offset = 0xCBF29CE484222325UL;
    private const ulong Prime = 0x100000001B3UL;

    /// <summary>The state; zero means "not started" and is replaced by the FNV offset.</summary>
    private ulong _value;

    public readonly ulong Value => _value == 0 ? Offset : _value;

    /// <summary>Folds one 64-bit word into the hash (FNV-1a over the word, then a final mix step).</summary>
    public void Add(ulong word)
    {
        ulong h = Value;
        h = (h ^ word) * Prime;
        h ^= h >> 29;
        _value = h == 0 ? 1 : h;
    }

    public void Add(long word) => Add(unchecked((ulong)word));

    public readonly string ToHex() => Value.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A stable hash of a string (FNV-1a over UTF-16 code units); unlike string.GetHashCode it is the same in every process.</summary>
    public static ulong OfString(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        ulong h = Offset;
        foreach (char c in text)
        {
            h = (h ^ c) * Prime;
        }

        return h;
    }
}
