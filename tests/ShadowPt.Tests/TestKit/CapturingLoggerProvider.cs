using Microsoft.Extensions.Logging;
using Xunit.Sdk;

namespace ShadowPt.Tests.TestKit;

/// <summary>
/// Captures log lines in memory so that tests can assert on them: give <see cref="Logger"/> to an
/// actor system, or register the provider with a logger factory. Thread-safe (threaded systems log
/// from pool threads); lines keep the order in which they were written.
/// </summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    /// <summary>Most lines kept; a run that logs more is a runaway and fails loudly instead of eating memory.</summary>
    public const int LinesMax = 1_000_000;

    /// <summary>The category of <see cref="Logger"/>.</summary>
    public const string DefaultCategory = "ShadowPt";

    /// <summary>Captured lines, in write order; guarded by <see cref="_linesLock"/>.</summary>
    private readonly List<LogLine> _lines = new();

    private readonly Lock _linesLock = new();

    public CapturingLoggerProvider(LogLevel minLevel = LogLevel.Trace)
    {
        MinLevel = minLevel;
        Logger = new CapturingLogger(this, DefaultCategory);
    }

    /// <summary>Lines below this level are not enabled (and so, for the scheduler's delivery lines, not even formatted).</summary>
    public LogLevel MinLevel { get; }

    /// <summary>A logger of category <see cref="DefaultCategory"/>, ready for <c>ActorSystem.Create*</c>.</summary>
    public CapturingLogger Logger { get; }

    /// <summary>A snapshot of the lines captured so far.</summary>
    public IReadOnlyList<LogLine> Lines
    {
        get
        {
            lock (_linesLock)
            {
                return _lines.ToArray();
            }
        }
    }

    /// <summary>A snapshot of the formatted messages captured so far.</summary>
    public IReadOnlyList<string> Messages => Lines.Select(l => l.Message).ToArray();

    public ILogger CreateLogger(string categoryName) => new CapturingLogger(this, categoryName);

    /// <summary>Forgets every line captured so far.</summary>
    public void Clear()
    {
        lock (_linesLock)
        {
            _lines.Clear();
        }
    }

    /// <summary>Asserts that a line of <paramref name="level"/> contains <paramref name="fragment"/>; returns the first such line.</summary>
    public LogLine AssertLogged(LogLevel level, string fragment)
    {
        ArgumentException.ThrowIfNullOrEmpty(fragment);
        IReadOnlyList<LogLine> lines = Lines;
        return lines.FirstOrDefault(l => l.Level == level && l.Message.Contains(fragment, StringComparison.Ordinal))
            ?? throw new XunitException($"no {level} line contains \"{fragment}\"; captured {lines.Count} lines{Tail(lines)}");
    }

    /// <summary>Asserts that no captured line contains <paramref name="fragment"/>.</summary>
    public void AssertNotLogged(string fragment)
    {
        ArgumentException.ThrowIfNullOrEmpty(fragment);
        LogLine? line = Lines.FirstOrDefault(l => l.Message.Contains(fragment, StringComparison.Ordinal));
        if (line is not null)
        {
            throw new XunitException($"expected no line containing \"{fragment}\", but found: {line}");
        }
    }

    public void Dispose()
    {
    }

    internal void Add(LogLine line)
    {
        lock (_linesLock)
        {
            if (_lines.Count >= LinesMax)
            {
                throw new InvalidOperationException($"more than {LinesMax} log lines captured; lower the level or the run's length");
            }

            _lines.Add(line);
        }
    }

    /// <summary>The last few lines, to show what was logged instead.</summary>
    private static string Tail(IReadOnlyList<LogLine> lines)
    {
        const int shownMax = 10;
        if (lines.Count == 0)
        {
            return string.Empty;
        }

        IEnumerable<string> shown = lines.Skip(Math.Max(0, lines.Count - shownMax)).Select(l => "\n  " + l);
        return "; the last ones:" + string.Concat(shown);
    }
}
