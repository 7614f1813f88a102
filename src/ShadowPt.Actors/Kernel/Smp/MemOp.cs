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

    public ulong TraceFingerprint => Runtime.Recording.TraceHash.OfString(What);

    public abstract MemReply Run(KernelState state);

    public override string ToString() => What;
}

/// <summary>A <see cref="MemOp"/> with a result.</summary>
public sealed class MemOp<T>(string what, Func<KernelState, T> body) : MemOp(what)
{
    public override MemReply Run(KernelState state) => new(body(state));
}

/// <summary>The result of a <see cref="MemOp"/>.</summary>
public sealed record MemReply(object? Value);
