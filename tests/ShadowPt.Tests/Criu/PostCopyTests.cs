using ShadowPt.Checking;
using ShadowPt.Criu;
using ShadowPt.Kernel;
using ShadowPt.Runtime;
using ShadowPt.Scenarios;
using ShadowPt.Scenarios.BuiltIn.Criu;

namespace ShadowPt.Tests.Criu;

public sealed class PostCopyTests
{
    /// <summary>
    /// Whatever the interleaving, the destination ends with the source's memory at freeze plus the resumed
    /// writes; every lazy page came exactly once (the source read none twice, and each arrived once); the
    /// hot pages came on demand, the others were pushed; and no fault was left waiting (liveness monitor on).
    /// </summary>
    [Fact]
    public void The_destination_equals_the_source_at_freeze_and_every_page_comes_once_on_every_seed()
    {
        for (ulong seed = 1; seed <= 12; seed++)
        {
            foreach (string strategy in new[] { "random", "pct" })
            {
                var scenario = new PostCopyScenario();
                RunReport report = ScenarioRunner.Run(() => scenario, new RunOptions { Seed = seed, Strategy = strategy, PctStepsEstimate = 6000 });
                Assert.True(report.Violation is null, $"seed {seed} {strategy}: {report.Violation?.Kind}: {report.Violation?.Message}");
                MigrationReport r = scenario.Report;
                Assert.Equal("post-copy", r.Mode);
                Assert.Equal(0, r.PagesAtFreeze);
                Assert.Equal(MigrationScenario.Workload.Pages, r.LazyPages);
                Assert.Equal(r.LazyPages, r.PagesOnDemand + r.PagesPushed);
                Assert.Equal(r.LazyPages, r.TotalPages);
                Assert.Equal(0, r.DuplicateRequests);
                Assert.InRange(r.PagesOnDemand, 1, MigrationScenario.Workload.HotPages);
                Assert.True(r.CompleteTick >= r.ResumeTick, $"seed {seed}: complete at {r.CompleteTick}, resumed at {r.ResumeTick}");
                MemorySnapshot destination = MemorySnapshot.Of(scenario.Destination!.State, scenario.DestinationPid)!;
                Assert.Null(scenario.Expected()!.Difference(destination));
                Assert.NotNull(scenario.Report.SourceAtFreeze!.Difference(destination)); // the resumed writes really ran there
            }
        }
    }

    /// <summary>
    /// The faults on the destination block in handle_userfault until their page arrives: with the background
    /// push held back, each hot page is fetched on demand by a fault that blocked, and every one was woken.
    /// </summary>
    [Fact]
    public void Faults_on_the_destination_block_until_their_page_arrives()
    {
        var scenario = new PostCopyScenario { PushAfterIdleTicks = 40 };
        RunReport report = ScenarioRunner.Run(() => scenario, new RunOptions { Seed = 7 });
        Assert.True(report.Violation is null, $"{report.Violation?.Kind}: {report.Violation?.Message}");
        MigrationReport r = scenario.Report;
        Assert.Equal(MigrationScenario.Workload.HotPages, r.PagesOnDemand);
        UffdState uffd = scenario.Destination!.State.Extension<UffdState>();
        Assert.True(uffd.FaultsBlocked >= r.PagesOnDemand, $"{uffd.FaultsBlocked} faults blocked for {r.PagesOnDemand} pages on demand");
        Assert.Empty(uffd.Blocked);
        Assert.All(uffd.IoctlLog.Where(l => l.Call == "UFFDIO_COPY"), l => Assert.Equal(0, l.Ret));
        Assert.Equal(r.LazyPages, uffd.IoctlLog.Count(l => l.Call == "UFFDIO_COPY"));
    }

    /// <summary>The check can fail: a daemon that copies with DONTWAKE and never wakes leaves the resumed task blocked.</summary>
    [Fact]
    public void A_lost_wake_up_is_caught()
    {
        var scenario = new PostCopyScenario { ForgetWake = true };
        RunReport report = ScenarioRunner.Run(() => scenario, new RunOptions { Seed = 3 });
        Assert.NotNull(report.Violation);
        Assert.True(report.Violation.Kind is SpecMonitors.LivenessKind or "deadlock", $"{report.Violation.Kind}: {report.Violation.Message}");
    }

    /// <summary>
    /// A daemon that asks again for a page being pushed when a task faults on it gets the page twice: the
    /// second UFFDIO_COPY answers -EEXIST and is followed by UFFDIO_WAKE, so the memory is still right and
    /// no task is left waiting, but the page-once check reports the duplicate requests.
    /// </summary>
    [Fact]
    public void A_page_sent_twice_is_an_eexist_copy_handled_and_the_page_once_check_reports_it()
    {
        Violation? found = null;
        PostCopyScenario? scenario = null;
        for (ulong seed = 1; seed <= 10 && found is null; seed++)
        {
            scenario = new PostCopyScenario { AskEveryFault = true, BandwidthPagesPerTick = 2, LatencyTicks = 4 };
            found = ScenarioRunner.Run(() => scenario, new RunOptions { Seed = seed }).Violation;
        }

        Assert.NotNull(found);
        Assert.True(found.Kind == "migration-pages", $"{found.Kind}: {found.Message}");
        MigrationReport r = scenario!.Report;
        Assert.True(r.DuplicateRequests > 0 && r.CopiesExisting == r.DuplicateRequests, $"{r.DuplicateRequests} duplicates, {r.CopiesExisting} -EEXIST copies");
        Assert.Equal(r.LazyPages, r.PagesOnDemand + r.PagesPushed);
        Assert.Null(scenario.Expected()!.Difference(MemorySnapshot.Of(scenario.Destination!.State, scenario.DestinationPid)!));
        Assert.Empty(scenario.Destination.State.Extension<UffdState>().Blocked);
    }

    [Fact]
    public void The_freeze_is_shorter_than_pre_copys_on_the_same_workload()
    {
        for (ulong seed = 1; seed <= 6; seed++)
        {
            var post = new PostCopyScenario();
            var pre = new MigrationScenario();
            Assert.Null(ScenarioRunner.Run(() => post, new RunOptions { Seed = seed }).Violation);
            Assert.Null(ScenarioRunner.Run(() => pre, new RunOptions { Seed = seed }).Violation);
            Assert.True(post.Report.FreezeTicks > 0 && post.Report.FreezeTicks < pre.Report.FreezeTicks, $"seed {seed}: post-copy {post.Report.FreezeTicks} vs pre-copy {pre.Report.FreezeTicks} ticks");
            Assert.True(post.Report.TotalPages < pre.Report.TotalPages, $"seed {seed}: {post.Report.TotalPages} vs {pre.Report.TotalPages} pages");
        }
    }

    [Fact]
    public void Runs_are_deterministic_and_replay_to_the_same_trace()
    {
        string name = PostCopyScenario.DefaultName;
        RunReport first = ScenarioRunner.Run(() => ScenarioCatalog.TryCreate(name)!, new RunOptions { Seed = 11 });
        RunReport second = ScenarioRunner.Run(() => ScenarioCatalog.TryCreate(name)!, new RunOptions { Seed = 11 });
        RunReport other = ScenarioRunner.Run(() => ScenarioCatalog.TryCreate(name)!, new RunOptions { Seed = 12 });
        Assert.Null(first.Violation);
        Assert.Equal(first.TraceHash, second.TraceHash);
        Assert.Equal(first.Description, second.Description);
        Assert.NotEqual(first.TraceHash, other.TraceHash);
        RunReport replayed = ScenarioRunner.Replay(ScenarioCatalog.TryCreate(name)!, first.Schedule, null);
        Assert.Null(replayed.Violation);
        Assert.Equal(first.TraceHash, replayed.TraceHash);
        Assert.Equal(first.Description, replayed.Description);
    }
}

public sealed class UffdioCopyContentsTests
{
    /// <summary>The shape UffdioCopyCall had before it could carry contents: its compiler-written text is what trace hashes hashed.</summary>
    private sealed record UffdioCopyCall(int Fd, VirtAddr Dst, ulong Length, byte Fill, int Mode);

    [Fact]
    public void A_fill_byte_copy_prints_as_before_so_trace_hashes_are_unchanged()
    {
        var now = new ShadowPt.Kernel.UffdioCopyCall(3, new VirtAddr(0x7f0000001000), 8192, 0x41, 1);
        var before = new UffdioCopyCall(3, new VirtAddr(0x7f0000001000), 8192, 0x41, 1);
        Assert.Equal(before.ToString(), now.ToString());
    }

    [Fact]
    public void A_copy_with_contents_prints_a_fingerprint_of_them()
    {
        byte[] a = new byte[PageGeometry.PageSize];
        byte[] b = new byte[PageGeometry.PageSize];
        b[17] = 1;
        string ta = new ShadowPt.Kernel.UffdioCopyCall(3, new VirtAddr(0x1000), PageGeometry.PageSize, 0, 0, a).ToString();
        string tb = new ShadowPt.Kernel.UffdioCopyCall(3, new VirtAddr(0x1000), PageGeometry.PageSize, 0, 0, b).ToString();
        Assert.Contains("Contents = ", ta, StringComparison.Ordinal);
        Assert.NotEqual(ta, tb);
    }
}
