using ShadowPt.Kernel;
using System.Runtime.Versioning;
using ShadowPt.Kernel.Conformance;
using ShadowPt.Kernel.Programs;

namespace ShadowPt.Tests.Kernel.Conformance;

/// <summary>
/// The built-in programs on this machine's kernel: the facts a kernel engineer expects, asserted
/// exactly. Each program is compiled once (cached by content hash) and run once per test run.
/// </summary>
[SupportedOSPlatform("linux")]
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
    public void ThreeChildrenOwnLabelsErrnoAndChildrenAliveAtTheEnd()
    {
        ProcessProgram program = new ProgramBuilder("turns", "three children, a child's own label, errno, live children at the end")
            .Mmap("a", 1).Write("a", 0, 0x11)
            .Fork(out ProcessId c1).Fork(out ProcessId c2).Fork(out ProcessId c3)
            .Mmap("own", 1, by: c2).Write("own", 0, 0x22, by: c2)
            .Write("a", 0, 0x33, by: c3).Exit(c1)
            .Munmap("a", 0, 1).Mprotect("a", 0, 1, Prot.Read).Read("a", 0, by: c2)
            .Build();
        ProgramObservations o = fixture.Observe(program);
        var lines = o.CanonicalLines().ToHashSet(StringComparer.Ordinal);
        string[] expected =
        [
            "step 4 p0 page a+0: present frame=1",
            "step 4 p3 page a+0: present frame=1",
            "step 5 p2 vmas own: [0,1) rw-p",
            "step 6 p2 faults: 1",
            "step 6 p2 page own+0: present exclusive frame=2",
            "step 7 p3 faults: 1",
            "step 7 p3 page a+0: present exclusive frame=3",
            "step 7 p0 page a+0: present frame=1",
            "step 8: p1: exit()",
            "step 9 p0 vmas a: none",
            "step 9 p0 page a+0: not-present",
            "step 9 p2 page a+0: present exclusive frame=1",
            "step 10 p0 error: ENOMEM",
            "step 11 p2 read: 0x11",
            "step 11 p2 faults: 0",
            "step 11 p2 page a+0: present exclusive frame=1",
        ];
        string[] missing = expected.Where(f => !lines.Contains(f)).ToArray();
        Assert.True(missing.Length == 0, $"missing:\n  {string.Join("\n  ", missing)}\n{o.ToCanonicalText()}");
        Assert.Equal(new[] { ProcessId.Root, c2, c3 }, o.Step(11).Processes.Select(p => p.Process));
        Assert.Equal(new[] { "a", "own" }, o.Step(11).Of(c2).Labels.Select(l => l.Label));
    }

    [Fact]
    public void ProgramWithoutLabelsRuns()
    {
        ProgramObservations o = fixture.Observe(
            new ProgramBuilder("no-labels", "fork and exit with nothing mapped").Fork(out ProcessId child).Exit(child).Build());
        Assert.Equal(
            "program: no-labels\nstep 0: p0: fork() = p1\nstep 0 p0 faults: not-measured\nstep 0 p0 signal: none\n" +
            "step 0 p0 error: none\nstep 1: p1: exit()\n",
            o.ToCanonicalText());
    }

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
    public void RunThatTakesTooLongIsKilledWithItsChildren()
    {
        using var fake = new FakeProgram("#!/bin/sh\nsleep 30 &\nsleep 30\n", TimeSpan.FromMilliseconds(300));
        DateTime started = DateTime.UtcNow;
        NativeRunnerException e = Assert.Throws<NativeRunnerException>(() => fake.Runner.Run(fake.Program));
        Assert.Contains("running 'first-read': no result after 0.3 s; the process tree was killed", e.Message, StringComparison.Ordinal);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void FailedRunReportsTheProgramsFailureLine()
    {
        using var fake = new FakeProgram("#!/bin/sh\necho 'H 1 4096'\necho 'X 1 token-timeout 5'\nexit 3\n", TimeSpan.FromSeconds(10));
        NativeRunnerException e = Assert.Throws<NativeRunnerException>(() => fake.Runner.Run(fake.Program));
        Assert.Equal("native program 'first-read' exited with code 3: 1 token-timeout 5", e.Message);
    }

    /// <summary>A runner whose cache holds a shell script in place of the compiled first-read program.</summary>
    private sealed class FakeProgram : IDisposable
    {
        private readonly string cache = Path.Combine(
            Path.GetTempPath(), $"shadowpt-test-fake-{Environment.ProcessId}-{Guid.NewGuid():N}");

        public FakeProgram(string script, TimeSpan timeout)
        {
            Runner = new NativeRunner(new NativeRunnerOptions { CacheDirectory = cache, RunTimeout = timeout });
            string folder = Path.Combine(cache, Runner.ContentHash(NativeProgramGenerator.Generate(Program)));
            Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            string binary = Path.Combine(folder, "program");
            File.WriteAllText(binary, script);
            File.SetUnixFileMode(binary, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        public NativeRunner Runner { get; }

        public ProcessProgram Program { get; } = ConformancePrograms.Get("first-read");

        public void Dispose() => Directory.Delete(cache, recursive: true);
    }

    [Fact]
    public void PageoutWithoutASwapDeviceLeavesThePageWhereItWas() =>
        AssertFacts(
            "pageout-no-swap",
            "step 2 p0 faults: 0",
            "step 2 p0 error: none",
            "step 2 p0 page a+0: present exclusive frame=1",
            "step 2 p0 page a+1: not-present",
            "step 3 p0 faults: 0",
            "step 3 p0 read: 0x41");

    [Fact]
    public void PageoutOfAnMlockedPageFailsWithEinval() =>
        AssertFacts(
            "pageout-mlocked",
            "step 3 p0 error: EINVAL",
            "step 3 p0 page a+0: present exclusive frame=1",
            "step 4 p0 faults: 0");

    [Fact]
    public void ClearRefsWithoutSoftDirtyWriteProtectsNothing() =>
        AssertFacts(
            "clear-refs-no-soft-dirty",
            "step 2 p0 faults: 0",
            "step 2 p0 error: none",
            "step 3 p0 faults: 0",
            "step 3 p0 page a+0: present exclusive frame=1");
}
