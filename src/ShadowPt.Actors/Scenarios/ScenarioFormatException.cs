namespace ShadowPt.Scenarios;

/// <summary>A scenario file that cannot be used: the message names the file, the JSON path and the reason.</summary>
public sealed class ScenarioFormatException : Exception
{
    public ScenarioFormatException()
    {
    }

    public ScenarioFormatException(string message)
        : base(message)
    {
    }

    public ScenarioFormatException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
