using ShadowPt.Kernel;
using ShadowPt.Kernel.Conformance;
using ShadowPt.Kernel.Programs;

namespace ShadowPt.Tests.Kernel.Conformance;

public sealed class ProgramValidationTests
{
    private static ProgramBuilder New() => new("t", "a test program");

    private static void AssertRejected(Func<ProcessProgram> build, string expectedFragment)
    {
        ProgramValidationException e = Assert.Throws<ProgramValidationException>(build);
        Assert.Contains(expectedFragment, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BuiltInsAreValidNamedUniquelyAndAtLeastTwelve()
    {
        Assert.True(ConformancePrograms.All.Length >= 12);
        Assert.Equal(ConformancePrograms.All.Length, ConformancePrograms.All.Select(p => p.Name).Distinct().Count());
        Assert.All(ConformancePrograms.All, p => Assert.False(string.IsNullOrWhiteSpace(p.Description)));
        Assert.Same(ConformancePrograms.All[0], ConformancePrograms.Get(ConformancePrograms.All[0].Name));
        Assert.Throws<ArgumentException>(() => ConformancePrograms.Get("no-such-program"));
    }

    [Fact]
    public void LabelMustBeDefinedBeforeUse() =>
        AssertRejected(
            () => New().Mmap("a", 1).Write("b", 0, 1).Build(),
            "program 't' step 1 (p0: write(b+0, 0x01)): label 'b' is not defined by an earlier mmap step");

    [Fact]
    public void LabelIsDefinedOnce() =>
        AssertRejected(() => New().Mmap("a", 1).Mmap("a", 1).Build(), "label 'a' is already defined");

    [Theory]
    [InlineData("A")]
    [InlineData("1a")]
    [InlineData("a-b")]
    [InlineData("a b")]
    [InlineData("")]
    [InlineData("a;b")]
    [InlineData("a*/")]
    [InlineData("seventeen_chars_x")]
    [InlineData("a\nb")]
    [InlineData("é")]
    public void BadLabelsAreRejected(string label) =>
        AssertRejected(() => New().Mmap(label, 1).Build(), "is invalid: use a lowercase letter");

    [Theory]
    [InlineData(0)]
    [InlineData(ProgramLimits.PagesPerMappingMax + 1)]
    public void MappingSizeIsBounded(int pages) =>
        AssertRejected(() => New().Mmap("a", pages).Build(), "a mapping has 1 to 64");

    [Theory]
    [InlineData(-ProgramLimits.PagesBelowLabelMax - 1)]
    [InlineData(ProgramLimits.PagesPerMappingMax)]
    public void PageOffsetIsBounded(int offset) =>
        AssertRejected(() => New().Mmap("a", 1).Read("a", offset).Build(), "is outside -16..63");

    [Fact]
    public void RangeMustEndInsideTheBound() =>
        AssertRejected(() => New().Mmap("a", 1).Munmap("a", 60, 5).Build(), "end beyond page 64");

    [Fact]
    public void OnlyTheRootForks() =>
        AssertRejected(
            () => New().Mmap("a", 1).Fork(out ProcessId child).Step(new ForkStep(new ProcessId(2)) { Process = child }).Build(),
            "only the root process p0 forks");

    [Fact]
    public void ProcessCountIsBounded() =>
        AssertRejected(
            () => New().Fork(out _).Fork(out _).Fork(out _).Fork(out _).Build(), "more than 4 processes");

    [Fact]
    public void ForkChildIdIsTheNextOne() =>
        AssertRejected(() => New().Step(new ForkStep(new ProcessId(3))).Build(), "the child of this fork is p1, not p3");

    [Fact]
    public void StepsRunOnlyInLiveProcesses()
    {
        AssertRejected(() => New().Mmap("a", 1).Read("a", 0, by: new ProcessId(1)).Build(), "process p1 is not live here");
        AssertRejected(
            () => New().Mmap("a", 1).Fork(out ProcessId child).Exit(child).Read("a", 0, by: child).Build(),
            "process p1 is not live here");
    }

    [Fact]
    public void RootCannotExit() =>
        AssertRejected(() => New().Exit(ProcessId.Root).Build(), "the root process p0 cannot exit");

    [Theory]
    [InlineData(MapFlags.Private | MapFlags.Shared | MapFlags.Anonymous, "exactly one of private and shared")]
    [InlineData(MapFlags.Anonymous, "exactly one of private and shared")]
    [InlineData(MapFlags.Private, "a mapping is anonymous or names a file")]
    [InlineData((MapFlags)64 | (MapFlags.Private | MapFlags.Anonymous), "unknown mmap flags")]
    public void MmapFlagsAreChecked(MapFlags flags, string fragment) =>
        AssertRejected(() => New().Mmap("a", 1, (Prot.Read | Prot.Write), flags).Build(), fragment);

    [Fact]
    public void ProtBitsAreChecked() =>
        AssertRejected(() => New().Mmap("a", 1).Mprotect("a", 0, 1, (Prot)8).Build(), "unknown protection bits 0x8");

    [Fact]
    public void StepCountIsBounded()
    {
        AssertRejected(() => New().Build(), "has 0 steps; it must have 1 to 64");
        ProgramBuilder builder = New().Mmap("a", 1);
        for (int i = 0; i < ProgramLimits.StepsMax; i++)
        {
            builder.Read("a", 0);
        }

        AssertRejected(() => builder.Build(), "has 65 steps");
    }

    [Fact]
    public void LabelCountIsBounded()
    {
        ProgramBuilder builder = New();
        for (int i = 0; i <= ProgramLimits.LabelsMax; i++)
        {
            builder.Mmap("l" + i, 1);
        }

        AssertRejected(() => builder.Build(), "more than 8 labels");
    }

    [Theory]
    [InlineData("Bad Name", "a program")]
    [InlineData("-x", "a program")]
    public void NameIsChecked(string name, string description) =>
        AssertRejected(() => new ProgramBuilder(name, description).Mmap("a", 1).Build(), "is invalid");

    [Fact]
    public void DescriptionIsOneLine() =>
        AssertRejected(() => new ProgramBuilder("t", "two\nlines").Mmap("a", 1).Build(), "the description must be one line");

    [Fact]
    public void ThinkTimeIsBounded() =>
        AssertRejected(() => New().Think(-1).Mmap("a", 1).Build(), "think time -1 ticks is outside 0..1000000");

    [Fact]
    public void ChildInheritsLabelsMappedBeforeForkOnly()
    {
        AssertRejected(
            () => New().Fork(out ProcessId child).Mmap("a", 1).Read("a", 0, by: child).Build(),
            "label 'a' is not mapped in p1 (it was mapped by another process after fork)");

        ProcessProgram program = New().Mmap("a", 1).Fork(out ProcessId c).Mmap("b", 1, by: c).Mmap("r", 1).Build();
        Assert.Equal(new[] { "a", "b" }, program.LabelsObservedBy(3, c));
        Assert.Equal(new[] { "a", "r" }, program.LabelsObservedBy(3, ProcessId.Root));
        Assert.Equal(new[] { "a", "b", "r" }, program.Labels);
    }

    [Fact]
    public void AnalysisTracksLiveProcessesAndObservedPages()
    {
        ProcessProgram program = New()
            .Mmap("s", 2, (Prot.Read | Prot.Write), (MapFlags.Private | MapFlags.Anonymous) | MapFlags.GrowsDown)
            .Fork(out ProcessId child).Think(5).Write("s", -4, 7, by: child).Exit(child).Build();

        Assert.Equal(new[] { ProcessId.Root }, program.LiveAfter(0));
        Assert.Equal(new[] { ProcessId.Root, child }, program.LiveAfter(1));
        Assert.Equal(new[] { ProcessId.Root }, program.LiveAfter(3));
        Assert.Equal(new PageRange(-4, 2), program.ObservedPages("s"));
        Assert.Equal(2, program.ProcessCount);
        Assert.Equal(5, program.Steps[2].ThinkTicks);
        Assert.Equal(0, program.Steps[3].ThinkTicks);
        Assert.Equal("p1: write(s-4, 0x07)", program.StepHeader(2));
    }

    [Fact]
    public void StepTextIsStable()
    {
        ProcessProgram program = New()
            .Mmap("a", 3, Prot.Read, (MapFlags.Shared | MapFlags.Anonymous)).Mprotect("a", 1, 1, (Prot.Read | Prot.Write) | Prot.Exec)
            .MadviseDontneed("a", 0, 2).Mlock("a", 0, 1).Munlock("a", 0, 1).Munmap("a", 1, 1).Read("a", 2)
            .Fork(out ProcessId child).Exit(child).Build();

        Assert.Equal(
            [
                "mmap(a, 3 pages, r--, shared|anonymous)",
                "mprotect(a+1, 1 page, rwx)",
                "madvise(a+0, 2 pages, MADV_DONTNEED)",
                "mlock(a+0, 1 page)",
                "munlock(a+0, 1 page)",
                "munmap(a+1, 1 page)",
                "read(a+2)",
                "fork() = p1",
                "exit()",
            ],
            program.Steps.Select(s => s.Text));
    }
}
