namespace ShadowPt.Host;

/// <summary>Bad input from the user: printed as one line, exit code 2, no stack trace.</summary>
internal sealed class UsageException : Exception
{
    public UsageException()
    {
    }

    public UsageException(string message)
        : base(message)
    {
    }

    public UsageException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
