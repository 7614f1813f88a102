using ShadowPt.Checking;
using ShadowPt.Kernel;
using ShadowPt.Kernel.Programs;
using ShadowPt.Runtime;
using ShadowPt.Scenarios;
using ShadowPt.Scenarios.BuiltIn;

namespace ShadowPt.Tests.Zoo;

/// <summary>get_user_pages with FOLL_FORCE | FOLL_WRITE (/proc/PID/mem) and the Dirty COW variant.</summary>
public sealed class DirtyCowTests
{
    private static RunReport Run(ScenarioDefinition definition, ulong seed) =>
        ScenarioRunner.Run(() => new ShadowPtScenario(definition), new RunOptions { Seed = seed });

    [Fact]
    public void TheFixedRuleFollowsAReadOnlyPteForWriteOnlyWhenForcedAfterCowAndDirty()
    {
        Pte copy = Pte.MkPte(new Pfn(9), PgProt.PageReadonly).PteMkDirty();
        Pte cacheClean = Pte.MkPte(new Pfn(7), PgProt.PageReadonly);
        FollFlags forced = FollFlags.Write | FollFlags.Force;
        Assert.False(GetUserPages.CanFollowWritePte(copy, forced)); // no COW cycle yet
        Assert.True(GetUserPages.CanFollowWritePte(copy, forced | FollFlags.Cow));
        Assert.False(GetUserPages.CanFollowWritePte(cacheClean, forced | FollFlags.Cow)); // the page-cache page is clean
        Assert.False(GetUserPages.CanFollowWritePte(copy, FollFlags.Write | FollFlags.Cow)); // not forced
        Assert.True(GetUserPages.CanFollowWritePte(cacheClean.PteMkWrite(), FollFlags.Write));
    }

    [Fact]
    public void TheVariantCorruptsThePageCacheOnSomeSeedsAndTheReplayReproducesIt()
    {
        ScenarioDefinition definition = BugZooTests.Load("dirty-cow");
        RunReport? found = null;
        for (ulong seed = 1; seed <= 40 && found is null; seed++)
        {
            RunReport report = Run(definition, seed);
            found = report.Violation is null ? null : report;
        }

        Assert.NotNull(found);
        Assert.Equal(FileIntegrityChecker.Kind, found!.Violation!.Kind);
        Assert.Contains("the page cache of /etc/passwd, opened read-only by everyone, changed: page 0", found.Violation.Message, StringComparison.Ordinal);
        Assert.Contains("holds 0x58 at offset 0, the file holds 0x61", found.Violation.Message, StringComparison.Ordinal);
        RunReport replay = ScenarioRunner.Replay(new ShadowPtScenario(definition), found.Schedule, null);
        Assert.Equal(found.TraceHash, replay.TraceHash);
        Assert.Equal(found.Violation.Kind, replay.Violation?.Kind);
    }

    [Fact]
    public void WithoutTheRaceTheForcedWriteLandsInThePrivateCopyAndTheFileIsIntact()
    {
        // No MADV_DONTNEED: even the buggy retry follows the COW copy, every seed.
        ScenarioDefinition definition = BugZooTests.Load("dirty-cow");
        ProcessDefinition attacker = definition.Processes[0];
        var steps = attacker.Program.Steps.Where(s => s is not MadviseDontneedStep).ToList();
        var program = ProcessProgram.Create(attacker.Name, "no madvise", steps);
        ScenarioDefinition quiet = definition with { Processes = [attacker with { Program = program }] };
        for (ulong seed = 1; seed <= 10; seed++)
        {
            RunReport report = Run(quiet, seed);
            Assert.True(report.Violation is null, $"seed {seed}: {report.Violation?.Kind}: {report.Violation?.Message}");
        }
    }
}
