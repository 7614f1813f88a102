using System.Globalization;
using ShadowPt.Actors;
using ShadowPt.Kernel;
using ShadowPt.Runtime;
using ShadowPt.Scenarios;
using ShadowPt.Scenarios.BuiltIn;
using ShadowPt.Spt;

namespace ShadowPt.Tests.Spt;

/// <summary>
/// Concurrent faults on 4 CPUs while the inspector reads: the target and its forked children work
/// on different CPUs, and at every quiescent point the table must equal the truth (the scenario's
/// consistency check). Over many seeds the correct model never fails the check, and the bug
/// variants make it fail.
/// </summary>
public sealed class ShadowConcurrencyTests
{
    private const int Ticks = 12;

    private const int SeedCount = 100;

    [Fact]
    public void TheTableStaysConsistentUnderConcurrentFaultsOnEverySeed()
    {
        var hashes = new HashSet<string>(StringComparer.Ordinal);
        for (ulong seed = 1; seed <= SeedCount; seed++)
        {
            ShadowPtScenario scenario = SptScenarios.Busy(Ticks);
            RunReport report = SptScenarios.Run(scenario, seed);

            Assert.True(report.Violation is null, $"seed {seed}: {report.Violation?.Kind}: {report.Violation?.Message}");
            Assert.Equal(RunOutcome.Quiescent, report.Outcome);
            AssertInspectorOutput(report.Description, seed);
            Assert.False(SptScenarios.Table(scenario.Machine!.State).IsOpen);
            Assert.Equal(0, SptScenarios.KernelFrames(scenario.Machine.State));
            Assert.Equal(0, SptScenarios.Notifiers(scenario.Machine.State));
            hashes.Add(report.TraceHash);
        }

        Assert.Equal(SeedCount, hashes.Count); // every seed ran a different interleaving
    }

    [Fact]
    public void TheTargetKilledWhileTheInspectorReadsEndsTrackingCleanly()
    {
        int released = 0;
        for (ulong seed = 1; seed <= SeedCount / 2; seed++)
        {
            ShadowPtScenario inner = SptScenarios.Busy(Ticks);
            long killAt = 1 + (long)(seed % 8);
            RunReport report = SptScenarios.Run(SptScenarios.KillingTarget(inner, killAt), seed);

            Assert.True(report.Violation is null, $"seed {seed}: {report.Violation?.Kind}: {report.Violation?.Message}");
            AssertInspectorOutput(report.Description, seed);
            KernelState state = inner.Machine!.State;
            Assert.Equal(128 + 9, state.Task(1).ExitCode);
            Assert.True(state.Task(1).Exited);
            Assert.Equal(0, SptScenarios.KernelFrames(state));
            Assert.Equal(0, SptScenarios.Notifiers(state));

            // The inspector's last table before stop shows the release: every entry cleared.
            int lastBlock = report.Description.Count - 2 - SptScenarios.TrackedPages;
            released += report.Description.Skip(lastBlock).Take(SptScenarios.TrackedPages).All(l => l.EndsWith("pfn 0x0 [- - -]", StringComparison.Ordinal)) ? 1 : 0;
        }

        Assert.True(released > 0, "no run showed the released table");
    }

    [Theory]
    [InlineData(Variants.ShadowUpdateAtInvalidateStart)]
    [InlineData(Variants.StackGrowthUntracked)]
    public void ABugVariantFailsTheConsistencyCheckOnSomeSeed(string variant)
    {
        var kinds = new List<string>();
        for (ulong seed = 1; seed <= 20; seed++)
        {
            RunReport report = SptScenarios.Run(SptScenarios.Busy(Ticks, variants: variant), seed);
            kinds.Add(report.Violation?.Kind ?? "ok");
        }

        Assert.Contains("shadow-inconsistent", kinds);
        Assert.All(kinds, k => Assert.Contains(k, new[] { "ok", "shadow-inconsistent" }));
    }

    [Fact]
    public void TheDefaultScenarioCannotSeeUntrackedStackGrowthOfOnePageAtATime()
    {
        // Its stack grows one page per fault, and the fault's own PTE update rewrites the whole entry
        // from the truth; so the variant needs growth by several pages at once (as BusyTarget does).
        for (ulong seed = 1; seed <= 5; seed++)
        {
            ShadowPtScenario scenario = new(
                "default-untracked-stack",
                new MachineConfig { Cpus = 2, Frames = 1024, Variants = new HashSet<string>([Variants.StackGrowthUntracked], StringComparer.Ordinal) },
                ShadowPtScenario.DefaultTarget(),
                pid => new InspectorSpec { TargetPid = pid, StartVaddr = ShadowPtScenario.Tracked.Start.Value, EndVaddr = ShadowPtScenario.Tracked.End.Value, Ticks = 10 });
            Assert.Null(SptScenarios.Run(scenario, seed).Violation);
        }
    }

    /// <summary>open, start, <see cref="Ticks"/> blocks of a header and one line per tracked page in address order, stop, close.</summary>
    private static void AssertInspectorOutput(IReadOnlyList<string> lines, ulong seed)
    {
        Assert.True(SptScenarios.ExpectedLines(Ticks) == lines.Count, $"seed {seed}: {lines.Count} lines:\n{string.Join('\n', lines)}");
        Assert.StartsWith("shadowpt_open(1) = 0", lines[0], StringComparison.Ordinal);
        Assert.Equal("shadowpt_start() = 0", lines[1]);
        int at = 2;
        for (int tick = 0; tick < Ticks; tick++)
        {
            Assert.Matches(@"^\[tick \d+\] shadow table of pid 1:$", lines[at++]);
            for (int page = 0; page < SptScenarios.TrackedPages; page++)
            {
                string vaddr = string.Create(CultureInfo.InvariantCulture, $"0x{ShadowPtScenario.Tracked.Start.Value + ((ulong)page * PageGeometry.PageSize):x} pfn 0x");
                Assert.StartsWith("  " + vaddr, lines[at++], StringComparison.Ordinal);
            }
        }

        Assert.Equal("shadowpt_stop() = 0", lines[at++]);
        Assert.Equal("shadowpt_close() = 0", lines[at]);
    }
}
