using ShadowPt.Exploration;

namespace ShadowPt.Tests.Exploration;

public sealed class ProgressLineTests
{
    private static ProgressSample At(double seconds, long done) => new(done, 1000, 0, TimeSpan.FromSeconds(seconds), 12, 1000);

    [Fact]
    public void ALineHasRateDoneViolationsElapsedTimeLeftAndCoverageNews()
    {
        Assert.Equal(
            "explore: 100 schedules/s, 250/1000 done, 0 violations, 2s elapsed, 7s left, new in last 1000: 12",
            ProgressLine.Format(At(2.5, 250)));
        Assert.Equal("explore: 0 schedules/s, 0/10 done, 1 violation, 0s elapsed, ? left", ProgressLine.Format(new ProgressSample(0, 10, 1, TimeSpan.Zero)));
        Assert.Equal("3m07s", ProgressLine.Duration(187));
        Assert.Equal("2h05m", ProgressLine.Duration(7530));
    }

    [Fact]
    public void PlainLinesComeAtMostEveryIntervalAndTheFinalOneOnce()
    {
        var line = new ProgressLine(terminal: false, TimeSpan.FromSeconds(2));
        Assert.NotNull(line.Next(At(0.1, 10)));
        Assert.Null(line.Next(At(1.0, 100)));
        string? next = line.Next(At(2.2, 200));
        Assert.EndsWith("\n", next, StringComparison.Ordinal);
        Assert.DoesNotContain('\r', next!);
        Assert.Null(line.Next(At(2.2, 200), final: true)); // already written
        Assert.NotNull(line.Next(At(2.3, 210), final: true));
    }

    [Fact]
    public void TheLiveLineRewritesItselfAndBlanksWhatALongerOneLeft()
    {
        var line = new ProgressLine(terminal: true);
        string first = line.Next(new ProgressSample(100, 1000, 0, TimeSpan.FromSeconds(1), 1234, 1000))!;
        string second = line.Next(new ProgressSample(200, 1000, 0, TimeSpan.FromSeconds(2), 1, 1000))!;
        Assert.StartsWith("\r", first, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', second);
        Assert.Equal(first.Length, second.Length); // padded over the longer previous line
        Assert.EndsWith("\n", line.Next(new ProgressSample(300, 1000, 0, TimeSpan.FromSeconds(2.01), 1, 1000), final: true), StringComparison.Ordinal);
    }
}
