using ShadowPt.Exploration;
using ShadowPt.Scenarios.BuiltIn;

namespace ShadowPt.Tests.Exploration;

/// <summary>Ctrl-C reaches the explorers as a cancellation token: they stop between executions and report what they did.</summary>
public sealed class InterruptionTests
{
    [Fact]
    public void DfsStopsWhenCancelledAndSaysItWasInterrupted()
    {
        // fan-in-4 has 4! = 24 arrival orders: cancelling after the third execution leaves it unexhausted.
        using var cancel = new CancellationTokenSource();
        int seen = 0;
        DfsResult result = DfsExplorer.Run(() => new FanInScenario("fan-in-4", 4), new DfsOptions { ExecutionsMax = 10_000 }, _ =>
        {
            if (++seen == 3)
            {
                cancel.Cancel();
            }
        }, cancel: cancel.Token);

        Assert.False(result.Exhaustive);
        Assert.True(result.Interrupted);
        Assert.Equal(3, result.Executions);
        Assert.Null(result.FirstViolation);
        Assert.Equal("exhaustive: no (interrupted) after 3 executions", result.Verdict);
    }

    [Fact]
    public void DfsNotCancelledIsNotInterrupted()
    {
        DfsResult result = DfsExplorer.Run(() => new FanInScenario("fan-in-3", 3), new DfsOptions { ExecutionsMax = 10_000 });
        Assert.True(result.Exhaustive, result.Verdict);
        Assert.False(result.Interrupted);
    }
}
