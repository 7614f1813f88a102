using ShadowPt.Actors;
using ShadowPt.Checking;
using ShadowPt.Kernel;
using ShadowPt.Runtime;
using ShadowPt.Scenarios;
using ShadowPt.Scenarios.BuiltIn;
using ShadowPt.Spt;
using ShadowPt.Tests.Spt;
using SptApi = ShadowPt.Spt.Spt;

namespace ShadowPt.Tests.Checking;

/// <summary>
/// The race checker on whole runs: the two shadow-table variants it exists for are each reported with
/// the exact pair of functions, and the correct model stays quiet over many seeds of the default, the
/// busy and the file scenarios.
/// </summary>
public sealed class RaceScenarioTests
{
    /// <summary>The checks without the race checker.</summary>
    private static readonly IReadOnlySet<string> WithoutRaces = new HashSet<string>(ScenarioDefinition.CheckNames.Where(c => c != "races"), StringComparer.Ordinal);

    private static ShadowPtScenario Default(params string[] variants) => new(
        "races",
        new MachineConfig { Cpus = 2, Frames = 1024, Variants = new HashSet<string>(variants, StringComparer.Ordinal) },
        ShadowPtScenario.DefaultTarget(),
        pid => new InspectorSpec { TargetPid = pid, StartVaddr = ShadowPtScenario.Tracked.Start.Value, EndVaddr = ShadowPtScenario.Tracked.End.Value, Ticks = 10 });

    private static RunReport Run(Func<Scenario> scenario, ulong seed, IReadOnlySet<string>? checks = null) =>
        ScenarioRunner.Run(scenario, new RunOptions { Seed = seed, StepsMax = 200_000, Checks = checks });

    [Fact]
    public void TheCorrectModelHasNoDataRaceOnTheDefaultScenario()
    {
        for (ulong seed = 1; seed <= 150; seed++)
        {
            RunReport report = Run(() => ShadowPtScenario.Default("default"), seed);
            Assert.True(report.Violation is null, $"seed {seed}: {report.Violation?.Message}");
        }
    }

    [Fact]
    public void TheCorrectModelHasNoDataRaceWithFourCpusAndThreeForkedWriters()
    {
        for (ulong seed = 1; seed <= 40; seed++)
        {
            RunReport report = Run(() => SptScenarios.Busy(), seed);
            Assert.True(report.Violation is null, $"seed {seed}: {report.Violation?.Message}");
        }
    }

    [Theory]
    [InlineData("fork-and-exec.json")]
    [InlineData("inspector-exits.json")]
    public void TheCorrectModelHasNoDataRaceInTheScenarioFiles(string file)
    {
        ScenarioDefinition definition = ScenarioFile.Load(Path.Combine(AppContext.BaseDirectory, "config", "scenarios", file));
        for (ulong seed = 1; seed <= 40; seed++)
        {
            RunReport report = Run(() => new ShadowPtScenario(definition), seed);
            Assert.True(report.Violation is null, $"seed {seed}: {report.Violation?.Message}");
        }
    }

    [Fact]
    public void TheCheckersNeverChangeTheRun()
    {
        IReadOnlySet<string> none = new HashSet<string>(StringComparer.Ordinal);
        for (ulong seed = 1; seed <= 10; seed++)
        {
            RunReport plain = Run(() => SptScenarios.Busy(), seed, none);
            RunReport all = Run(() => SptScenarios.Busy(), seed);
            Assert.Null(all.Violation);
            Assert.Equal(plain.TraceHash, all.TraceHash);
            Assert.Equal(plain.Steps, all.Steps);
        }
    }

    [Fact]
    public void TwoWritersWithoutTheShadowLockAreAnAssertRaceOnTheEntry()
    {
        RunReport report = Run(() => Default(Variants.ShadowUpdateWithoutLock), 1);
        Violation v = Assert.IsType<Violation>(report.Violation);
        Assert.Equal("data-race", v.Kind);
        string[] lines = v.Message.Split('\n');
        Assert.Equal("==================================================================", lines[0]);
        Assert.Equal("BUG: KCSAN: assert: race in shadowpt_start populate / update_shadow_pte", lines[1]);
        Assert.Matches(@"^write \(marked\) to 0xffff888[0-9a-f]{9} of 8 bytes by task 2 on cpu 1:$", lines[3]);
        Assert.Equal(" shadowpt_start populate", lines[4]);
        Assert.Matches(@"^ shadow_pte\[(\d+)\]\.(vaddr|pfn|state_flags), the shadow table's entry for 0x[0-9a-f]+ \(frame 0x[0-9a-f]+ \+0x[0-9a-f]+\)$", lines[5]);
        Assert.Matches(@"^assert no writes to 0xffff888[0-9a-f]{9} of 8 bytes by task 1 on cpu 0:$", lines[7]);
        Assert.Equal(" update_shadow_pte", lines[8]);
        Assert.Equal(lines[5], lines[9]); // the same word
        Assert.Equal(lines[3]["write (marked) to ".Length..][..18], lines[7]["assert no writes to ".Length..][..18]);
        Assert.Contains("Reported by Kernel Concurrency Sanitizer on:\nCPU: 0 PID: 1 Comm: target", v.Message, StringComparison.Ordinal);
        Assert.Matches(@"no happens-before: cpu0's clock \[c0:\d+ c1:\d+\] does not cover cpu1's access at its epoch \d+", v.Message);
    }

    [Fact]
    public void WithoutTheRaceCheckerTheUnlockedWritersGoUnnoticed()
    {
        for (ulong seed = 1; seed <= 20; seed++)
        {
            Assert.Equal("data-race", Run(() => Default(Variants.ShadowUpdateWithoutLock), seed).Violation?.Kind);
            Assert.Null(Run(() => Default(Variants.ShadowUpdateWithoutLock), seed, WithoutRaces).Violation);
        }
    }

    [Fact]
    public void AnEntryWrittenAsThreePlainStoresRacesWithTheInspectorsLoads()
    {
        RunReport report = Run(() => Default(Variants.TornShadowEntry), 1);
        Violation v = Assert.IsType<Violation>(report.Violation);
        Assert.Equal("data-race", v.Kind);
        string[] lines = v.Message.Split('\n');
        Assert.Equal("BUG: KCSAN: data-race in update_shadow_pte / user load", lines[1]);
        Assert.Matches(@"^read \(marked\) to 0xffff888[0-9a-f]{9} of 8 bytes by task 2 on cpu 1:$", lines[3]);
        Assert.Matches(@"^ user load at 0x[0-9a-f]+ \(inspector, (load \(tlb hit\)|page walk \+ load)\)$", lines[4]);
        Assert.Matches(@"^write to 0xffff888[0-9a-f]{9} of 8 bytes by task 1 on cpu 0:$", lines[7]);
        Assert.Equal(" update_shadow_pte", lines[8]);
        Assert.StartsWith(" shadow_pte[", lines[9], StringComparison.Ordinal);
    }

    [Fact]
    public void TheTornVariantIsAlwaysAPlainWriteAgainstAMarkedLoad()
    {
        for (ulong seed = 1; seed <= 20; seed++)
        {
            Violation v = Assert.IsType<Violation>(Run(() => Default(Variants.TornShadowEntry), seed).Violation);
            Assert.Equal("BUG: KCSAN: data-race in update_shadow_pte / user load", v.Message.Split('\n')[1]);
            Assert.Contains("\nwrite to 0x", v.Message, StringComparison.Ordinal); // plain: no "(marked)"
        }
    }

    /// <summary>
    /// While the target faults a tracked page in, the inspector loads that entry's pfn and then its
    /// state, ten times over. A fault only ever turns "allocated, pfn 0" into "allocated, mapped, pfn N",
    /// so with whole-entry updates a pfn read before the state can never come with the mapped flag
    /// missing; with the entry written as three stores it can (a torn entry).
    /// </summary>
    private static int SeedsWithATornRead(params string[] variants)
    {
        int seeds = 0;
        for (ulong seed = 1; seed <= 40; seed++)
        {
            using var world = new SptWorld(seed, variants: variants);
            int target = world.Process("target");
            world.MapAnon(SptWorld.TargetCpu, target, SptWorld.RangePages, at: SptWorld.RangeStart);
            InspectorHandle inspector = world.Track(target);
            Task<UserResult> fault = world.Start(SptWorld.TargetCpu, target, new AccessOp(SptWorld.At(3), true, 1));
            VirtAddr entry = inspector.Entries + (3 * (ulong)SptApi.ShadowPteBytes);
            var reads = new List<(Task<UserResult> Pfn, Task<UserResult> State)>();
            for (int i = 0; i < 10; i++)
            {
                reads.Add((world.Start(inspector.Cpu, inspector.Pid, new WordAccessOp(entry + 8, false, 0)), world.Start(inspector.Cpu, inspector.Pid, new WordAccessOp(entry + 16, false, 0))));
            }

            world.RunQuiescent();
            Assert.False(SptWorld.Ret(fault) < 0 || fault.Result.Segv);
            Assert.Equal(world.PtePfn(target, SptWorld.At(3)), world.Entry(3).Pfn); // whole again once the update is done
            seeds += reads.Any(r => r.Pfn.Result.Word != 0 && !SptApi.IsPteMapped(r.State.Result.Word)) ? 1 : 0;
        }

        return seeds;
    }

    [Fact]
    public void AnInspectorCanReadATornEntryOnlyWithTheTornVariant()
    {
        Assert.Equal(0, SeedsWithATornRead());
        Assert.InRange(SeedsWithATornRead(Variants.TornShadowEntry), 1, 40);
    }
}
