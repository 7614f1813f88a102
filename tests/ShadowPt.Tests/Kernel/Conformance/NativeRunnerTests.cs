using ShadowPt.Kernel.Conformance;
using ShadowPt.Kernel.Programs;

namespace ShadowPt.Tests.Kernel.Conformance;

/// <summary>
/// The built-in programs on this machine's kernel: the facts a kernel engineer expects, asserted
/// exactly. Each program is compiled once (cached by content hash) and run once per test run.
/// </summary>
public sealed class NativeRunnerTests : IClassFixture<NativeRunnerFixture>
{
    private readonly NativeRunnerFixture fixture;

    public NativeRunnerTests(NativeRunnerFixture fixture) => this.fixture = fixture;

    private void AssertFacts(string program, params string[] facts)
    {
        ProgramObservations observations = fixture.Observe(program);
        var lines = observations.CanonicalLines().ToHashSet(StringComparer.Ordinal);
        string[] missing = facts.Where(f => !lines.Contains(f)).ToArray();
        Assert.True(
            missing.Length == 0,
            $"missing facts:\n  {string.Join("\n  ", missing)}\nobserved:\n{observations.ToCanonicalText()}");
    }

    [Fact]
    public void FirstReadMapsTheZeroPageWithOneFault() =>
        AssertFacts(
            "first-read",
            "step 0 p0 faults: 0",
            "step 0 p0 vmas a: [0,1) rw-p",
            "step 0 p0 page a+0: not-present",
            "step 1 p0 faults: 1",
            "step 1 p0 read: 0x00",
            "step 1 p0 page a+0: present frame=1",
            "step 2 p0 faults: 0",
            "step 2 p0 page a+0: present frame=1");

    [Fact]
    public void WriteAfterReadReplacesTheZeroPageWithOneFault() =>
        AssertFacts(
            "write-after-read",
            "step 1 p0 page a+0: present frame=1",
            "step 2 p0 faults: 1",
            "step 2 p0 page a+0: present exclusive frame=2",
            "step 3 p0 faults: 0",
            "step 3 p0 read: 0x41");

    [Fact]
    public void FreshWriteFaultsOnceForAnExclusivePage() =>
        AssertFacts(
            "fresh-write",
            "step 1 p0 faults: 1",
            "step 1 p0 page a+0: present exclusive frame=1",
            "step 1 p0 page a+1: not-present",
            "step 2 p0 faults: 0",
            "step 2 p0 read: 0x41",
            "step 3 p0 faults: 1",
            "step 3 p0 read: 0x00",
            "step 3 p0 page a+1: present frame=2");

    [Fact]
    public void ForkSharesThePageAndTheChildsWriteCopiesIt() =>
        AssertFacts(
            "fork-write-child",
            "step 2 p0 faults: not-measured",
            "step 2 p0 page a+0: present frame=1",
            "step 2 p1 page a+0: present frame=1",
            "step 3 p1 faults: 1",
            "step 3 p1 page a+0: present exclusive frame=2",
            "step 3 p0 page a+0: present exclusive frame=1",
            "step 4 p0 faults: 0",
            "step 4 p0 read: 0x41",
            "step 5 p1 faults: 0",
            "step 5 p1 read: 0x42",
            "step 6 p0 page a+0: present exclusive frame=1");

    [Fact]
    public void ParentsWriteAfterForkCopiesAndTheChildKeepsTheOriginal() =>
        AssertFacts(
            "fork-write-parent",
            "step 3 p0 faults: 1",
            "step 3 p0 page a+0: present exclusive frame=2",
            "step 3 p1 page a+0: present exclusive frame=1",
            "step 4 p1 faults: 0",
            "step 4 p1 read: 0x41");

    [Fact]
    public void AfterTheChildExitsTheParentReusesItsPage() =>
        AssertFacts(
            "write-after-child-exit",
            "step 2 p0 page a+0: present frame=1",
            "step 3: p1: exit()",
            "step 3 p0 page a+0: present exclusive frame=1",
            "step 4 p0 faults: 1",
            "step 4 p0 page a+0: present exclusive frame=1",
            "step 5 p0 read: 0x42");

    [Fact]
    public void MunmapOfTheMiddleLeavesTwoVmas() =>
        AssertFacts(
            "munmap-middle",
            "step 3 p0 vmas a: [0,3) rw-p",
            "step 4 p0 faults: 0",
            "step 4 p0 error: none",
            "step 4 p0 vmas a: [0,1) rw-p [2,3) rw-p",
            "step 4 p0 page a+0: present exclusive frame=1",
            "step 4 p0 page a+1: not-present",
            "step 4 p0 page a+2: present exclusive frame=3",
            "step 5 p0 faults: 0",
            "step 5 p0 signal: SIGSEGV",
            "step 6 p0 faults: 0",
            "step 6 p0 read: 0x43");

    [Fact]
    public void MprotectOfTheMiddleLeavesThreeVmas() =>
        AssertFacts(
            "mprotect-split",
            "step 2 p0 faults: 0",
            "step 2 p0 vmas a: [0,1) rw-p [1,2) r--p [2,3) rw-p",
            "step 2 p0 page a+1: present exclusive frame=1",
            "step 3 p0 faults: 0",
            "step 3 p0 signal: SIGSEGV",
            "step 4 p0 signal: none",
            "step 4 p0 read: 0x41");

    [Fact]
    public void WriteToReadOnlyMappingRaisesSegvWithoutAFault() =>
        AssertFacts(
            "write-read-only",
            "step 0 p0 vmas a: [0,1) r--p",
            "step 1 p0 faults: 0",
            "step 1 p0 signal: SIGSEGV",
            "step 1 p0 page a+0: not-present",
            "step 2 p0 faults: 1",
            "step 2 p0 page a+0: present frame=1",
            "step 3 p0 faults: 0",
            "step 3 p0 signal: SIGSEGV");

    [Fact]
    public void AccessBelowAGrowsDownMappingGrowsIt() =>
        AssertFacts(
            "stack-growth",
            "step 0 p0 vmas s: [0,2) rw-p",
            "step 1 p0 faults: 1",
            "step 1 p0 signal: none",
            "step 1 p0 vmas s: [-1,2) rw-p",
            "step 1 p0 page s-1: present exclusive frame=1",
            "step 2 p0 read: 0x41",
            "step 3 p0 faults: 1",
            "step 3 p0 vmas s: [-4,2) rw-p",
            "step 3 p0 page s-3: not-present");

    [Fact]
    public void SharedMappingShowsTheChildsWriteToTheParent() =>
        AssertFacts(
            "shared-after-fork",
            "step 0 p0 vmas a: [0,1) rw-s",
            "step 1 p1 page a+0: not-present",
            "step 2 p1 faults: 1",
            "step 2 p1 page a+0: present exclusive frame=1",
            "step 2 p0 page a+0: not-present",
            "step 3 p0 faults: 1",
            "step 3 p0 read: 0x5a",
            "step 3 p0 page a+0: present frame=1",
            "step 3 p1 page a+0: present frame=1",
            "step 4 p0 page a+0: present exclusive frame=1");

    [Fact]
    public void DontneedThenReadSeesTheZeroPage() =>
        AssertFacts(
            "dontneed-read",
            "step 1 p0 page a+0: present exclusive frame=1",
            "step 2 p0 faults: 0",
            "step 2 p0 page a+0: not-present",
            "step 3 p0 faults: 1",
            "step 3 p0 read: 0x00",
            "step 3 p0 page a+0: present frame=2");

    [Fact]
    public void MlockPopulatesWithWriteFaults() =>
        AssertFacts(
            "mlock-read",
            "step 1 p0 faults: 2",
            "step 1 p0 error: none",
            "step 1 p0 page a+0: present exclusive frame=1",
            "step 1 p0 page a+1: present exclusive frame=2",
            "step 2 p0 faults: 0",
            "step 2 p0 read: 0x00",
            "step 3 p0 faults: 0",
            "step 3 p0 page a+1: present exclusive frame=2");

    [Fact]
    public void WriteAfterMprotectToWritableFaultsOnce() =>
        AssertFacts(
            "mprotect-then-write",
            "step 1 p0 page a+0: present frame=1",
            "step 2 p0 vmas a: [0,1) rw-p",
            "step 2 p0 page a+0: present frame=1",
            "step 3 p0 faults: 1",
            "step 3 p0 page a+0: present exclusive frame=2");

    [Fact]
    public void MprotectBackMergesVmasAndMakesTheExclusivePageWritable() =>
        AssertFacts(
            "mprotect-restore",
            "step 2 p0 vmas a: [0,1) r--p [1,2) rw-p",
            "step 3 p0 vmas a: [0,2) rw-p",
            "step 4 p0 faults: 0",
            "step 4 p0 page a+0: present exclusive frame=1");

    [Fact]
    public void ForkDoesNotCopyZeroPagePtesOfAVmaWithoutAnonVma() =>
        AssertFacts(
            "fork-zero-page",
            "step 2 p0 page a+0: present frame=1",
            "step 2 p1 page a+0: not-present",
            "step 3 p1 faults: 1",
            "step 3 p1 page a+0: present exclusive frame=2",
            "step 3 p0 page a+0: present frame=1",
            "step 4 p0 page a+0: present frame=1");

    [Fact]
    public void EveryBuiltInRunsAndRunsAgainTheSame()
    {
        var again = new NativeRunner();
        foreach (ProcessProgram program in ConformancePrograms.All)
        {
            ProgramObservations first = fixture.Observe(program.Name);
            Assert.Equal(program.Steps.Length, first.Steps.Length);
            ObservationComparison comparison = ObservationComparer.Compare(first, again.Run(program));
            Assert.True(comparison.Agree, comparison.Describe());
        }
    }

    [Fact]
    public void CompiledProgramsAreCachedByContentHash()
    {
        ProcessProgram program = ConformancePrograms.Get("first-read");
        string binary = fixture.Runner.Compile(program);
        DateTime written = File.GetLastWriteTimeUtc(binary);
        Assert.Equal(binary, fixture.Runner.Compile(program));
        Assert.Equal(written, File.GetLastWriteTimeUtc(binary));
        Assert.True(File.Exists(Path.Combine(Path.GetDirectoryName(binary)!, "program.c")));
    }

    [Fact]
    public void MissingCompilerIsAClearError()
    {
        string cache = Path.Combine(Path.GetTempPath(), $"shadowpt-test-nocc-{Environment.ProcessId}");
        try
        {
            var runner = new NativeRunner(new NativeRunnerOptions { CompilerPath = "/nonexistent/gcc", CacheDirectory = cache });
            NativeRunnerException e = Assert.Throws<NativeRunnerException>(() => runner.Run(ConformancePrograms.Get("first-read")));
            Assert.Contains("cannot start /nonexistent/gcc", e.Message, StringComparison.Ordinal);
            Assert.Contains("needs a C compiler such as gcc", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(cache, recursive: true);
        }
    }

    [Fact]
    public void RunThatTakesTooLongIsKilled()
    {
        fixture.Observe("first-read");
        var runner = new NativeRunner(new NativeRunnerOptions { RunTimeout = TimeSpan.FromTicks(1) });
        NativeRunnerException e = Assert.Throws<NativeRunnerException>(() => runner.Run(ConformancePrograms.Get("first-read")));
        Assert.Contains("running 'first-read': no result after", e.Message, StringComparison.Ordinal);
    }
}
