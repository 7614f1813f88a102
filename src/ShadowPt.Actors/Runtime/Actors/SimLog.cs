using Microsoft.Extensions.Logging;

namespace ShadowPt.Runtime.Actors;

/// <summary>
/// An actor's log. Every line carries the step, the simulated tick and the actor path, and never a
/// wall-clock time, so that two runs of the same schedule log the same lines.
/// </summary>
public sealed class SimLog
{
    /// <summary>The actor that logs.</summary>
    private readonly ActorCell _cell;

    internal SimLog(ActorCell cell) => _cell = cell;

    public bool IsEnabled(LogLevel level) => _cell.System.Logger.IsEnabled(level);

    public void Debug(string text) => Write(LogLevel.Debug, text);

    public void Info(string text) => Write(LogLevel.Information, text);

    public void Warning(string text) => Write(LogLevel.Warning, text);

    public void Error(string text) => Write(LogLevel.Error, text);

    private void Write(LogLevel level, string text)
    {
        ILogger logger = _cell.System.Logger;
        if (!logger.IsEnabled(level))
        {
            return;
        }

#pragma warning disable CA1848, CA2254 // one template for all lines; the level check above keeps the cost off hot paths
        logger.Log(level, "[step {Step}] [tick {Tick}] {Actor}: {Text}", _cell.Step, _cell.Now.Value, _cell.Path, text);
#pragma warning restore CA1848, CA2254
    }
}
