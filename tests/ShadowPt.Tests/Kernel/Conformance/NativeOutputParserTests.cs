using ShadowPt.Kernel.Conformance;
using ShadowPt.Kernel.Programs;

namespace ShadowPt.Tests.Kernel.Conformance;

public sealed class NativeOutputParserTests
{
    private static readonly ProcessProgram Program =
        new ProgramBuilder("parse", "two steps printed by hand").Mmap("a", 1).Write("a", 0, 0x41).Build();

    private const string Header = "H 1 4096\nL 0 7f0000400000\n";

    private const string Step0 = "S 0 0\nF 0\nG 0\nR -1\nE 0\nV 0 7f0000400000 7f0000401000 rw-p\nP 0 0 0\nZ\n";

    private static ProgramObservations Parse(string output) => NativeOutputParser.Parse(Program, output, "linux");

    private static void AssertFails(string output, string fragment)
    {
        NativeRunnerException e = Assert.Throws<NativeRunnerException>(() => Parse(output));
        Assert.Contains(fragment, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DecodesPagemapEntriesAndRelativeVmas()
    {
        ProgramObservations o = Parse(
            Header + Step0 +
            "S 1 0\nF 1\nG 0\nR -1\nE 0\nV 0 7f00003ff000 7f0000402000 rw-p\nP 0 0 8100000000137d3d\nZ\nD\n");

        LabelObservation a = o.Step(1).Of(ProcessId.Root).Label("a");
        Assert.Equal(new VmaFact(-1, 2, "rw-p"), Assert.Single(a.Vmas));
        Assert.Equal(new PageFact(0, true, true, 1), a.Page(0));
        Assert.Equal(new StepOutcome(1, false, null, 0), o.Step(1).Outcome);
        Assert.Equal(new PageFact(0, false, false, null), o.Step(0).Of(ProcessId.Root).Label("a").Page(0));
    }

    [Fact]
    public void FailureLineBecomesTheMessage() =>
        AssertFails(Header + "X 1 token-timeout 7\n", "native program 'parse' failed: 1 token-timeout 7");

    [Fact]
    public void OutputMustEndWithDone() =>
        AssertFails(Header + Step0, "ends without D: the program stopped early");

    [Fact]
    public void MissingObservationIsReported() =>
        AssertFails(Header + Step0 + "D\n", "is incomplete: p0 did not observe step 1 of 'parse'");

    [Theory]
    [InlineData("Q 1\n", "line 3 is malformed (fact outside an observation): Q 1")]
    [InlineData("S 0 0\nF zero\n", "line 4 is malformed ('zero' is not a number)")]
    [InlineData("S 9 0\n", "line 3 is malformed (no such step)")]
    [InlineData("S 0 0\nF 0\nG 0\nR -1\nE 0\nV 3 0 1000 rw-p\n", "(no such label)")]
    [InlineData("S 0 0\nF 0\nG 0\nR -1\nE 0\nV 0 7f0000400800 7f0000401000 rw-p\n", "(address not page aligned)")]
    public void MalformedLinesNameTheirNumber(string body, string fragment) =>
        AssertFails(Header + body, fragment);

    [Fact]
    public void HiddenPfnsAskForRoot() =>
        AssertFails(
            Header + Step0 + "S 1 0\nF 1\nG 0\nR -1\nE 0\nP 0 0 8100000000000000\nZ\nD\n",
            "needs CAP_SYS_ADMIN (run it as root)");

    [Fact]
    public void OtherSignalsAreNotObservations() =>
        AssertFails(
            Header + Step0 + "S 1 0\nF 0\nG 7\nR -1\nE 0\nP 0 0 0\nZ\nD\n",
            "raised signal 7, which observations cannot express");
}
