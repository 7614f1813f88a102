namespace ShadowPt.Runtime;

/// <summary>
/// xoshiro256** seeded through SplitMix64. The only source of randomness a run may use; its
/// output is fixed by the algorithm, so a seed means the same thing on every machine and .NET version.
/// </summary>
public sealed class Prng
{
    /// <summary>The generator state, four 64-bit words, never all zero.</summary>
    private ulong _s0, _s1, _s2, _s3;

    public Prng(ulong seed)
    {
        Seed = seed;
        ulong x = seed;
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
    }

    /// <summary>The seed this generator started from.</summary>
    public ulong Seed { get; }

    /// <summary>Derives a child seed from a parent seed and an index (for example campaign seed and schedule index).</summary>
    public static ulong Derive(ulong seed, ulong index)
    {
        ulong x = seed ^ (index * 0x9E3779B97F4A7C15UL);
        _ = SplitMix64(ref x);
        return SplitMix64(ref x);
    }

    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>A uniform integer in [0, maxExclusive) by Lemire's multiply-shift, without modulo bias worth measuring.</summary>
    public int NextInt(int maxExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxExclusive);
        return (int)Math.BigMul(NextUInt64(), (ulong)maxExclusive, out _);
    }

    /// <summary>A uniform integer in [0, maxExclusive).</summary>
    public long NextLong(long maxExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxExclusive);
        return (long)Math.BigMul(NextUInt64(), (ulong)maxExclusive, out _);
    }

    public bool NextBool() => (NextUInt64() >> 63) != 0;

    private static ulong SplitMix64(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
