using ShadowPt.Kernel.Conformance;
using ShadowPt.Kernel.Programs;

namespace ShadowPt.Tests.Kernel.Conformance;

public sealed class ObservationTests
{
    private static readonly ProcessProgram Program =
        new ProgramBuilder("obs", "a small program to record by hand")
            .Mmap("a", 2).Read("a", 0).Fork(out _).Build();

    /// <summary>Records the program with raw frames: zero page 0x77 after the read; p1 sees <paramref name="childFrame"/>.</summary>
    private static ProgramObservations Record(string source, ulong childFrame = 0x77, bool childExclusive = false)
    {
        var r = new ObservationRecorder(Program, source);
        r.BeginObservation(0, ProcessId.Root, new StepOutcome(0, false, null, 0));
        r.AddVma("a", 0, 2, "rw-p");
        r.AddPage("a", 1, false, false, 0);
        r.AddPage("a", 0, false, false, 0);

        r.BeginObservation(1, ProcessId.Root, new StepOutcome(1, false, 0, 0));
        r.AddVma("a", 0, 2, "rw-p");
        r.AddPage("a", 0, true, false, 0x77);
        r.AddPage("a", 1, false, false, 0);

        // p1 before p0: the recorder orders them.
        r.BeginObservation(2, new ProcessId(1), null);
        r.AddVma("a", 0, 2, "rw-p");
        r.AddPage("a", 0, childFrame != 0, childExclusive, childFrame);
        r.AddPage("a", 1, true, true, 0x1234);
        r.BeginObservation(2, ProcessId.Root, new StepOutcome(null, false, null, 0));
        r.AddVma("a", 0, 2, "rw-p");
        r.AddPage("a", 0, true, false, 0x77);
        r.AddPage("a", 1, false, false, 0);
        return r.Build();
    }

    [Fact]
    public void CanonicalTextHasOneFactPerLineInStableOrderWithFramesByFirstAppearance()
    {
        string expected = """
            program: obs
            step 0: p0: mmap(a, 2 pages, rw-, private|anonymous)
            step 0 p0 faults: 0
            step 0 p0 signal: none
            step 0 p0 error: none
            step 0 p0 vmas a: [0,2) rw-p
            step 0 p0 page a+0: not-present
            step 0 p0 page a+1: not-present
            step 1: p0: read(a+0)
            step 1 p0 faults: 1
            step 1 p0 signal: none
            step 1 p0 error: none
            step 1 p0 read: 0x00
            step 1 p0 vmas a: [0,2) rw-p
            step 1 p0 page a+0: present frame=1
            step 1 p0 page a+1: not-present
            step 2: p0: fork() = p1
            step 2 p0 faults: not-measured
            step 2 p0 signal: none
            step 2 p0 error: none
            step 2 p0 vmas a: [0,2) rw-p
            step 2 p0 page a+0: present frame=1
            step 2 p0 page a+1: not-present
            step 2 p1 vmas a: [0,2) rw-p
            step 2 p1 page a+0: present frame=1
            step 2 p1 page a+1: present exclusive frame=2

            """;
        Assert.Equal(expected.ReplaceLineEndings("\n"), Record("linux").ToCanonicalText());
    }

    [Fact]
    public void QueriesFindFacts()
    {
        ProgramObservations o = Record("linux");
        Assert.Equal(new PageFact(1, true, true, 2), o.Step(2).Of(new ProcessId(1)).Label("a").Page(1));
        Assert.Equal(1, o.Step(1).Outcome?.MinorFaults);
        Assert.Throws<ArgumentException>(() => o.Step(1).Of(new ProcessId(1)));
    }

    [Fact]
    public void SameFactsAgreeWhateverTheRawFrames()
    {
        ObservationComparison c = ObservationComparer.Compare(Record("linux"), Record("simulator"));
        Assert.True(c.Agree);
        Assert.Equal("obs: agree (linux = simulator)", c.Describe());
    }

    [Fact]
    public void DifferencesNameTheFactAndBothValues()
    {
        ObservationComparison c = ObservationComparer.Compare(Record("linux"), Record("simulator", childFrame: 0x99, childExclusive: true));

        Assert.False(c.Agree);
        Assert.Equal(2, c.DifferencesTotal);
        Assert.Equal(
            """
            obs: 2 difference(s), linux vs simulator
              step 2 p1 page a+0: linux 'present frame=1', simulator 'present exclusive frame=2'
              step 2 p1 page a+1: linux 'present exclusive frame=2', simulator 'present exclusive frame=3'
            """.ReplaceLineEndings("\n").TrimEnd('\n'),
            c.Describe());
        Assert.Equal(new ObservationDifference("step 2 p1 page a+0", "present frame=1", "present exclusive frame=2"), c.Differences[0]);
    }

    [Fact]
    public void MissingFactsAreDifferencesToo()
    {
        ObservationComparison c = ObservationComparer.Compare(Record("linux"), Record("simulator", childFrame: 0));
        Assert.Contains(c.Differences, d => d.Key == "step 2 p1 page a+0" && d.Actual == "not-present");
        Assert.Contains("simulator 'not-present'", c.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void RecorderRejectsIncompleteOrInconsistentObservations()
    {
        var r = new ObservationRecorder(Program, "x");
        Assert.Throws<InvalidOperationException>(() => r.AddVma("a", 0, 1, "rw-p"));
        Assert.Throws<InvalidOperationException>(() => r.BeginObservation(0, ProcessId.Root, null));
        Assert.Throws<InvalidOperationException>(() => r.BeginObservation(1, new ProcessId(1), null));
        r.BeginObservation(0, ProcessId.Root, new StepOutcome(0, false, null, 0));
        Assert.Throws<InvalidOperationException>(() => r.BeginObservation(0, ProcessId.Root, new StepOutcome(0, false, null, 0)));
        Assert.Throws<ArgumentException>(() => r.AddVma("a", 1, 1, "rw-p"));
        Assert.Throws<ArgumentException>(() => r.AddVma("a", 0, 1, "rwzp"));
        Assert.Throws<ArgumentException>(() => r.AddPage("a", 0, true, false, 0));
        Assert.Throws<ArgumentException>(() => r.AddPage("a", 0, false, true, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => r.AddPage("a", 2, false, false, 0));
        r.AddPage("a", 0, false, false, 0);
        InvalidOperationException e = Assert.Throws<InvalidOperationException>(r.Build);
        Assert.Equal("step 0 p0: label 'a' needs pages 0..1 exactly once, got 1", e.Message);
    }

    [Fact]
    public void SuiteCountsAgreement()
    {
        var linux = new FixedRunner("linux", p => Record("linux"));
        var sim = new FixedRunner("simulator", p => Record("simulator", childFrame: p.Name == "obs" ? 0x77UL : 0));
        ConformanceReport report = ConformanceSuite.Run(linux, sim, [Program]);
        Assert.Equal("agree: 1/1", report.Summary);
        Assert.EndsWith("agree: 1/1", report.Describe(), StringComparison.Ordinal);
    }

    private sealed class FixedRunner(string source, Func<ProcessProgram, ProgramObservations> run) : IProgramRunner
    {
        public string Source { get; } = source;

        public ProgramObservations Run(ProcessProgram program) => run(program);
    }
}
