using System.Globalization;

namespace ShadowPt.Exploration;

/// <summary>One progress sample: what is done and how long it took; the clock is the caller's.</summary>
public readonly record struct ProgressSample(long Done, long Total, long Violations, TimeSpan Elapsed, long NewInWindow = -1, long Window = 0);

/// <summary>
/// Formats exploration progress: a live line rewritten in place (carriage return, padded over the
/// previous one) on a terminal, or plain lines at most every <see cref="PlainInterval"/> when the output
/// is redirected. It holds no clock: callers pass the elapsed time, so it is testable without timing.
/// </summary>
public sealed class ProgressLine(bool terminal, TimeSpan? plainInterval = null)
{
    /// <summary>Default spacing of plain lines when the output is not a terminal.</summary>
    public static readonly TimeSpan PlainIntervalDefault = TimeSpan.FromSeconds(2);

    /// <summary>Default spacing of live-line rewrites on a terminal.</summary>
    public static readonly TimeSpan LiveInterval = TimeSpan.FromMilliseconds(200);

    /// <summary>Length of the last live line, to blank out what a shorter one leaves behind.</summary>
    private int _lastLength;

    /// <summary>Elapsed time of the last line written, or null before the first.</summary>
    private TimeSpan? _lastWritten;

    /// <summary>The last sample written: a final plain line repeating it is not written again.</summary>
    private ProgressSample? _lastSample;

    public TimeSpan PlainInterval { get; } = plainInterval ?? PlainIntervalDefault;

    public bool IsTerminal => terminal;

    /// <summary>The text of one sample: rate, done of total, violations, elapsed, estimated time left, and coverage news.</summary>
    public static string Format(ProgressSample s)
    {
        CultureInfo inv = CultureInfo.InvariantCulture;
        double seconds = s.Elapsed.TotalSeconds;
        double rate = seconds > 0 ? s.Done / seconds : 0;
        string left = rate > 0 && s.Total > s.Done ? Duration((s.Total - s.Done) / rate) : s.Total <= s.Done ? "0s" : "?";
        string news = s.NewInWindow >= 0 ? string.Create(inv, $", new in last {s.Window}: {s.NewInWindow}") : string.Empty;
        return string.Create(inv, $"explore: {rate:0} schedules/s, {s.Done}/{s.Total} done, {s.Violations} violation{(s.Violations == 1 ? string.Empty : "s")}, {Duration(seconds)} elapsed, {left} left{news}");
    }

    /// <summary>
    /// What to write for <paramref name="sample"/> now, or null when it is too soon (a plain line within
    /// <see cref="PlainInterval"/> of the last, a live one within <see cref="LiveInterval"/>). <paramref name="final"/> always writes.
    /// </summary>
    public string? Next(ProgressSample sample, bool final = false)
    {
        TimeSpan interval = terminal ? LiveInterval : PlainInterval;
        if (final ? !terminal && sample == _lastSample : _lastWritten is TimeSpan last && sample.Elapsed - last < interval)
        {
            return null;
        }

        _lastWritten = sample.Elapsed;
        _lastSample = sample;
        string text = Format(sample);
        if (!terminal)
        {
            return text + "\n";
        }

        string padded = "\r" + text + new string(' ', Math.Max(0, _lastLength - text.Length));
        _lastLength = text.Length;
        return final ? padded + "\n" : padded;
    }

    /// <summary>"42s", "3m07s", "2h05m": compact and stable in width for a live line.</summary>
    public static string Duration(double seconds)
    {
        if (double.IsNaN(seconds) || seconds < 0)
        {
            return "?";
        }

        long s = (long)Math.Min(seconds, 99L * 24 * 3600);
        return s < 60 ? string.Create(CultureInfo.InvariantCulture, $"{s}s")
            : s < 3600 ? string.Create(CultureInfo.InvariantCulture, $"{s / 60}m{s % 60:00}s")
            : string.Create(CultureInfo.InvariantCulture, $"{s / 3600}h{s / 60 % 60:00}m");
    }
}
