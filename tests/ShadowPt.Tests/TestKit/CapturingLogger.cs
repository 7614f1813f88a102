using Microsoft.Extensions.Logging;

namespace ShadowPt.Tests.TestKit;

/// <summary>A logger of one category that hands every enabled line to its <see cref="CapturingLoggerProvider"/>.</summary>
public sealed class CapturingLogger : ILogger
{
    /// <summary>Where the lines go.</summary>
    private readonly CapturingLoggerProvider _provider;

    internal CapturingLogger(CapturingLoggerProvider provider, string category)
    {
        _provider = provider;
        Category = category;
    }

    public string Category { get; }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && logLevel >= _provider.MinLevel;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        if (IsEnabled(logLevel))
        {
            _provider.Add(new LogLine(logLevel, Category, eventId, formatter(state, exception), exception));
        }
    }
}
