using System.Runtime.CompilerServices;
using ShadowPt.Runtime;

namespace ShadowPt.Kernel;

/// <summary>
/// One atomic operation on the kernel's shared state, run by the memory-subsystem actor. A kernel
/// path on a CPU sends it and awaits the reply: the round trip is the scheduling point at which
/// other CPUs' steps interleave. <see cref="What"/> names the kernel function it stands for.
/// </summary>
public abstract class MemOp(string what) : ITraceable
{
    /// <summary>The kernel operation, for example <c>set_pte_at</c>.</summary>
    public string What { get; } = what;

    /// <summary>The hash of <see cref="What"/>; names are literals, so it is looked up by reference, not rehashed per delivery.</summary>
    public ulong TraceFingerprint => Runtime.Recording.TraceHash.OfLiteral(What);

    /// <summary>The CPU whose kernel path sent it (null when not sent by one), for the places checkers report.</summary>
    public CpuId? Cpu { get; init; }

    /// <summary>The task whose kernel path sent it (0 for the idle task or none).</summary>
    public int Pid { get; init; }

    public abstract MemReply Run(KernelState state);

    public override string ToString() => What;
}

/// <summary>A <see cref="MemOp"/> with a result.</summary>
public sealed class MemOp<T>(string what, Func<KernelState, T> body) : MemOp(what)
{
    public override MemReply Run(KernelState state) => MemReply.Of(body(state));
}

/// <summary>The result of a <see cref="MemOp"/>. Immutable, so replies of the commonest values are shared.</summary>
public sealed record MemReply(object? Value)
{
    private static readonly MemReply True = new(true);

    private static readonly MemReply False = new(false);

    /// <summary>A reply per byte value: every user load and store answers one.</summary>
    private static readonly MemReply[] Bytes = [.. Enumerable.Range(0, byte.MaxValue + 1).Select(b => new MemReply((byte)b))];

    /// <summary>A reply per word value below 256: user accesses answer their value as a word, mostly a byte's.</summary>
    private static readonly MemReply[] SmallWords = [.. Enumerable.Range(0, byte.MaxValue + 1).Select(w => new MemReply((ulong)w))];

    /// <summary>The reply carrying <paramref name="value"/>: a shared one for a bool, a byte or a word below 256 (no allocation, no boxing), else a new one.</summary>
    public static MemReply Of<T>(T value)
    {
        if (typeof(T) == typeof(ulong) && Unsafe.As<T, ulong>(ref value) < (ulong)SmallWords.Length)
        {
            return SmallWords[Unsafe.As<T, ulong>(ref value)];
        }

        if (typeof(T) == typeof(bool))
        {
            return Unsafe.As<T, bool>(ref value) ? True : False;
        }

        if (typeof(T) == typeof(byte))
        {
            return Bytes[Unsafe.As<T, byte>(ref value)];
        }

        return new MemReply(value);
    }
}
