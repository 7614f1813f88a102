namespace ShadowPt.Runtime.Recording;

/// <summary>A replayed schedule does not fit the run: the scenario or the model changed since it was recorded.</summary>
public sealed class ScheduleDivergedException : Exception
{
    public ScheduleDivergedException()
    {
    }

    public ScheduleDivergedException(string message)
        : base(message)
    {
    }

    public ScheduleDivergedException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
