using System.Runtime.CompilerServices;

namespace ShadowPt.Kernel;

/// <summary>
/// A broken model invariant: the simulator's <c>BUG_ON</c> / <c>VM_BUG_ON</c>. It means the model
/// (or a caller of the model) is wrong, never that the simulated program misbehaved; those outcomes
/// are return values (<see cref="Errno"/>) or exceptions with their own types.
/// </summary>
public sealed class KernelBugException : Exception, Runtime.IViolationKind
{
    /// <summary>A BUG_ON fired: the model reached a state it must never reach.</summary>
    public string ViolationKind => "kernel-bug";

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
/// Assertions that stay on in Release builds (tests run Release). A passing check allocates nothing:
/// a constant message costs nothing, and an interpolated one is formatted only when the check fails
/// (<see cref="BugMessageHandler"/>, as <c>Debug.Assert</c> does), holes included.
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

    /// <summary>
    /// Throws <see cref="KernelBugException"/> when <paramref name="condition"/> holds. The interpolated
    /// message, and every expression in its holes, is evaluated only then.
    /// </summary>
    public static void On(bool condition, [InterpolatedStringHandlerArgument(nameof(condition))] ref BugMessageHandler message)
    {
        if (condition)
        {
            throw new KernelBugException(message.ToStringAndClear());
        }
    }

    /// <summary>The exception to throw for a broken invariant, for callers that build the message themselves.</summary>
    public static KernelBugException Fail(string message) => new(message);
}

/// <summary>
/// Builds the message of a failing <see cref="Bug.On(bool, ref BugMessageHandler)"/>; does nothing when
/// the check passes, so the holes of the interpolated string are not even evaluated.
/// </summary>
[InterpolatedStringHandler]
public ref struct BugMessageHandler
{
    /// <summary>The message being built; only used when the check failed.</summary>
    private DefaultInterpolatedStringHandler _message;

    public BugMessageHandler(int literalLength, int formattedCount, bool condition, out bool shouldAppend)
    {
        _message = condition ? new DefaultInterpolatedStringHandler(literalLength, formattedCount) : default;
        shouldAppend = condition;
    }

    public void AppendLiteral(string value) => _message.AppendLiteral(value);

    public void AppendFormatted<T>(T value) => _message.AppendFormatted(value);

    public void AppendFormatted<T>(T value, string? format) => _message.AppendFormatted(value, format);

    public void AppendFormatted(string? value) => _message.AppendFormatted(value);

    /// <summary>The message; the handler must not be used afterwards.</summary>
    public string ToStringAndClear() => _message.ToStringAndClear();
}
