namespace ShadowPt.Runtime.Recording;

/// <summary>A schedule file that cannot be read: the message says what and where (file and line).</summary>
public sealed class ScheduleFormatException : Exception
{
    public ScheduleFormatException()
    {
    }

    public ScheduleFormatException(string message)
        : base(message)
    {
    }

    public ScheduleFormatException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
