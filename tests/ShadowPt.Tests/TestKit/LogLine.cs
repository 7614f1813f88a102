using Microsoft.Extensions.Logging;

namespace ShadowPt.Tests.TestKit;

/// <summary>One line a <see cref="CapturingLoggerProvider"/> captured, already formatted.</summary>
public sealed record LogLine(LogLevel Level, string Category, EventId EventId, string Message, Exception? Exception)
{
    /// <summary>"level category: message", the form failure reports print.</summary>
    public override string ToString() => $"{Level} {Category}: {Message}";
}
