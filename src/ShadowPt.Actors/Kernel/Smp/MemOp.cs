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
    public int Pid { get => _pid; init => _pid = value; }

    private int _pid;

    /// <summary>
    /// Sends this operation object again for task <paramref name="pid"/>: only for an operation its CPU
    /// keeps and sends once its reply came back (the TLB-hit access), so no one is reading it then.
    /// </summary>
    internal void ReuseFor(int pid) => _pid = pid;

    public abstract MemReply Run(KernelState state);

    public override string ToString() => What;
}

/// <summary>A <see cref="MemOp"/> with a result.</summary>
/// <remarks>
/// Hot paths pass a static body and its arguments as an object (<see cref="MemOp{T}(string, Func{KernelState, object, T}, object)"/>)
/// instead of a capturing lambda: one allocation (the arguments) instead of two (the closure and its delegate).
/// The message type stays <c>MemOp&lt;T&gt;</c> either way, and its name is part of the trace hash.
/// </remarks>
public sealed class MemOp<T> : MemOp
{
    private readonly Func<KernelState, T>? _body;

    private readonly Func<KernelState, object, T>? _bodyWithArgs;

    private readonly object? _args;

    public MemOp(string what, Func<KernelState, T> body)
        : base(what)
    {
        ArgumentNullException.ThrowIfNull(body);
        _body = body;
    }

    /// <summary>An operation running <paramref name="body"/> with <paramref name="args"/>.</summary>
    public MemOp(string what, Func<KernelState, object, T> body, object args)
        : base(what)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(args);
        _bodyWithArgs = body;
        _args = args;
    }

    public override MemReply Run(KernelState state) => MemReply.Of(_body is not null ? _body(state) : _bodyWithArgs!(state, _args!));
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

    /// <summary>
    /// Replies of larger words made lately on this thread (<see cref="RecentWords"/>): the inspector loads the
    /// same addresses (its table's vaddr words) every tick of every schedule. A reply is immutable, so a
    /// shared one is as good as a new one; thread-static, so no two threads share a slot.
    /// </summary>
    [ThreadStatic]
    private static MemReply?[]? _recentWords;

    /// <summary>The reply carrying <paramref name="value"/>: a shared one for a bool, a byte or a word below 256 (no allocation, no boxing), a remembered one for a recent word, else a new one.</summary>
    public static MemReply Of<T>(T value)
    {
        if (typeof(T) == typeof(ulong))
        {
            ulong word = Unsafe.As<T, ulong>(ref value);
            return word < (ulong)SmallWords.Length ? SmallWords[word] : OfWord(word);
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

    private static MemReply OfWord(ulong word)
    {
        ref MemReply? slot = ref RecentWords.Slot(ref _recentWords, word);
        if (slot is { Value: ulong cached } reply && cached == word)
        {
            return reply;
        }

        slot = new MemReply(word);
        return slot;
    }
}
