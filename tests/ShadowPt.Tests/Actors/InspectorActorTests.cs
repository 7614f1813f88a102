using ShadowPt.Scenarios;
using ShadowPt.Scenarios.BuiltIn;

namespace ShadowPt.Tests.Actors;

/// <summary>The inspector's way out: a program that runs to its end returns; only an exit from its middle unwinds.</summary>
public sealed class InspectorActorTests
{
    [Fact]
    public void AnInspectorThatRunsToItsEndThrowsNothingAndStillExits()
    {
        int thread = Environment.CurrentManagedThreadId;
        int thrown = 0;
        void Count(object? sender, System.Runtime.ExceptionServices.FirstChanceExceptionEventArgs e)
        {
            // Other tests run in parallel: count only this thread's, which runs the whole deterministic system.
            if (Environment.CurrentManagedThreadId == thread)
            {
                Interlocked.Increment(ref thrown);
            }
        }

        var scenario = (ShadowPtScenario)ScenarioCatalog.TryCreate(ScenarioCatalog.DefaultName)!;
        AppDomain.CurrentDomain.FirstChanceException += Count;
        RunReport report;
        try
        {
            report = ScenarioRunner.Run(() => scenario, new RunOptions { Seed = 1 });
        }
        finally
        {
            AppDomain.CurrentDomain.FirstChanceException -= Count;
        }

        Assert.Null(report.Violation);
        Assert.Equal(0, thrown);
        Assert.Equal("shadowpt_close() = 0", scenario.Output[^1]); // it ran to its end (and exited: no violation of the resource checks)
    }
}
