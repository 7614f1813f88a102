using ShadowPt.Actors;
using ShadowPt.Scenarios;
using ShadowPt.Scenarios.BuiltIn;
using ShadowPt.Spt;

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

    [Fact]
    public void AnEntryLineIsTheDescriptionOfThatEntryWhateverTheCacheHeldBefore()
    {
        // More entries than slots, so slots are replaced; every line must still describe its own entry.
        var entries = new List<ShadowPte>();
        for (ulong i = 0; i < 3 * InspectorActor.EntryLines.Slots; i++)
        {
            entries.Add(new ShadowPte(0x40000000 + (i * 4096), i % 7 == 0 ? 0 : 0x200 + i, i % 8));
        }

        foreach (ShadowPte e in entries.Concat(entries.AsEnumerable().Reverse()))
        {
            Assert.Equal("  " + global::ShadowPt.Spt.Spt.Describe(e), InspectorActor.EntryLines.Of(e));
        }

        ShadowPte last = entries[^1];
        Assert.Same(InspectorActor.EntryLines.Of(last), InspectorActor.EntryLines.Of(last)); // remembered, not formatted again
    }

    [Fact]
    public void AHeaderLineNamesItsOwnTickAndPid()
    {
        for (long tick = 0; tick < 3 * InspectorActor.EntryLines.HeaderSlots; tick++)
        {
            foreach (int pid in new[] { 1, 2, 65 })
            {
                Assert.Equal($"[tick {tick}] shadow table of pid {pid}:", InspectorActor.EntryLines.Header(tick, pid));
            }
        }
    }
}
