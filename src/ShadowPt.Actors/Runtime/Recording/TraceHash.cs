using System.Runtime.CompilerServices;

namespace ShadowPt.Runtime.Recording;

/// <summary>
/// A running 64-bit hash of everything observable that happened in a run. Two runs with equal
/// hashes made the same deliveries in the same order with the same messages.
/// </summary>
public struct TraceHash
{
    private const ulong Offset = 0xCBF29CE484222325UL;
    private const ulong Prime = 0x100000001B3UL;

    /// <summary>Slots of the by-reference cache of <see cref="OfLiteral"/> (a power of two).</summary>
    private const int LiteralSlots = 256;

    /// <summary>
    /// Direct-mapped cache of <see cref="OfLiteral"/>, indexed by the string's identity. Entries are
    /// immutable and replaced whole, so racing threads at worst recompute a hash; the value returned
    /// never depends on the cache.
    /// </summary>
    private static readonly LiteralHash?[] LiteralCache = new LiteralHash?[LiteralSlots];

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
        return OfChars(text);
    }

    /// <summary>
    /// <see cref="OfString"/> for a string passed again and again as the same object, such as a
    /// literal naming a kernel operation: remembered by reference, so hashing it costs a lookup.
    /// </summary>
    public static ulong OfLiteral(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        ref LiteralHash? slot = ref LiteralCache[RuntimeHelpers.GetHashCode(text) & (LiteralSlots - 1)];
        LiteralHash? cached = Volatile.Read(ref slot);
        if (cached is not null && ReferenceEquals(cached.Text, text))
        {
            return cached.Hash;
        }

        ulong hash = OfChars(text);
        Volatile.Write(ref slot, new LiteralHash(text, hash));
        return hash;
    }

    /// <summary><see cref="OfString"/> of text that is not a string object (formatted into a buffer, say): the same value for the same characters.</summary>
    public static ulong OfChars(ReadOnlySpan<char> text) => OfChars(text, Offset);

    /// <summary>
    /// Goes on hashing <paramref name="text"/> from <paramref name="hashSoFar"/>, what <see cref="OfChars(ReadOnlySpan{char})"/>
    /// returned for the text before it: <c>OfChars(b, OfChars(a)) == OfString(a + b)</c>.
    /// </summary>
    public static ulong OfChars(ReadOnlySpan<char> text, ulong hashSoFar)
    {
        ulong h = hashSoFar;
        foreach (char c in text)
        {
            h = (h ^ c) * Prime;
        }

        return h;
    }
}

/// <summary>One entry of the literal cache: the string and its hash.</summary>
internal sealed record LiteralHash(string Text, ulong Hash);
