using System.Collections;

namespace ShadowPt.Runtime.Recording;

/// <summary>
/// A recorded run's choices, read-only, packed at the narrowest width their codes fit
/// (<see cref="ScheduleChoice.Encode"/>: value and kind in one integer): one byte per choice when every
/// value is below 64 (the usual case: channel ids and booleans), two below 16,384, else four. A schedule
/// is captured at the end of every run, exploration's included, and an array of <see cref="ScheduleChoice"/>
/// took eight bytes per choice.
/// </summary>
internal sealed class PackedChoices : IReadOnlyList<ScheduleChoice>
{
    /// <summary>The codes, one byte each; or null.</summary>
    private readonly byte[]? _bytes;

    /// <summary>The codes, two bytes each; or null.</summary>
    private readonly ushort[]? _shorts;

    /// <summary>The codes, four bytes each; or null.</summary>
    private readonly int[]? _ints;

    private PackedChoices(int count, byte[]? bytes, ushort[]? shorts, int[]? ints)
    {
        Count = count;
        _bytes = bytes;
        _shorts = shorts;
        _ints = ints;
    }

    public static PackedChoices Empty { get; } = new(0, [], null, null);

    public int Count { get; }

    /// <summary>Bytes per choice: 1, 2 or 4.</summary>
    public int Width => _bytes is not null ? sizeof(byte) : _shorts is not null ? sizeof(ushort) : sizeof(int);

    public ScheduleChoice this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
            return ScheduleChoice.Decode(CodeAt(index));
        }
    }

    /// <summary>Packs <paramref name="count"/> codes from the recorder's chunks, in order.</summary>
    public static PackedChoices FromChunks(ReadOnlySpan<int[]> chunks, int count)
    {
        if (count == 0)
        {
            return Empty;
        }

        int max = 0;
        int seen = 0;
        foreach (int[] chunk in chunks)
        {
            foreach (int code in chunk.AsSpan(0, Math.Min(chunk.Length, count - seen)))
            {
                max |= code;
            }

            seen += chunk.Length;
        }

        return max <= byte.MaxValue ? new PackedChoices(count, Copy<byte>(chunks, count), null, null)
            : max <= ushort.MaxValue ? new PackedChoices(count, null, Copy<ushort>(chunks, count), null)
            : new PackedChoices(count, null, null, Copy<int>(chunks, count));
    }

    public IEnumerator<ScheduleChoice> GetEnumerator()
    {
        for (int i = 0; i < Count; i++)
        {
            yield return ScheduleChoice.Decode(CodeAt(i));
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private int CodeAt(int index) => _bytes is not null ? _bytes[index] : _shorts is not null ? _shorts[index] : _ints![index];

    /// <summary>The first <paramref name="count"/> codes of <paramref name="chunks"/> as <typeparamref name="T"/> (the caller checked they fit).</summary>
    private static T[] Copy<T>(ReadOnlySpan<int[]> chunks, int count)
        where T : struct, System.Numerics.IBinaryInteger<T>
    {
        var codes = new T[count];
        int i = 0;
        foreach (int[] chunk in chunks)
        {
            foreach (int code in chunk.AsSpan(0, Math.Min(chunk.Length, count - i)))
            {
                codes[i++] = T.CreateTruncating(code);
            }
        }

        return codes;
    }
}
