namespace ShadowPt.Kernel.Programs;

/// <summary>A process program that breaks a rule: the message names the program, the step and the rule.</summary>
public sealed class ProgramValidationException : Exception
{
    public ProgramValidationException()
    {
    }

    public ProgramValidationException(string message)
        : base(message)
    {
    }

    public ProgramValidationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
