namespace ShadowPt.Kernel.Conformance;

/// <summary>
/// The native runner could not produce observations: no compiler, a failed compile, a run that
/// failed, timed out or printed something malformed. The message says which and how to fix it.
/// </summary>
public sealed class NativeRunnerException : Exception
{
    public NativeRunnerException()
    {
    }

    public NativeRunnerException(string message)
        : base(message)
    {
    }

    public NativeRunnerException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
