namespace ShadowPt.Kernel;

/// <summary>
/// A broken model invariant: the simulator's <c>BUG_ON</c> / <c>VM_BUG_ON</c>. It means the model
/// (or a caller of the model) is wrong, never that the simulated program misbehaved; those outcomes
/// are return values (<see cref="Errno"/>) or exceptions with their own types.
/// </summary>
public sealed class KernelBugException : Exception
{
    public KernelBugException()
    {
    }

    public KernelBugException(string message)
        : base(message)
    {
    }

    public KernelBugException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

/// <summary>
/// Assertions that stay on in Release builds (tests run Release). Messages are constant strings so a
/// passing check allocates nothing; build a rich message only on the failing branch with <see cref="Fail"/>.
/// </summary>
/// <remarks>Named after <c>BUG_ON</c> in include/asm-generic/bug.h.</remarks>
public static class Bug
{
    /// <summary>Throws <see cref="KernelBugException"/> when <paramref name="condition"/> holds.</summary>
    public static void On(bool condition, string message)
    {
        if (condition)
        {
            throw new KernelBugException(message);
        }
    }

    /// <summary>The exception to throw for a broken invariant, for callers that build the message themselves.</summary>
    public static KernelBugException Fail(string message) => new(message);
}
