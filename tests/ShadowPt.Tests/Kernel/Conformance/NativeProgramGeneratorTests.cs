using ShadowPt.Kernel;
using ShadowPt.Kernel.Conformance;
using ShadowPt.Kernel.Programs;

namespace ShadowPt.Tests.Kernel.Conformance;

public sealed class NativeProgramGeneratorTests
{
    private static ProcessProgram ForkWrite() =>
        new ProgramBuilder("gen", "*/ #include \"evil.h\" /* description never reaches C")
            .Mmap("buf_1", 2, (Prot.Read | Prot.Write), (MapFlags.Private | MapFlags.Anonymous) | MapFlags.GrowsDown)
            .Fork(out ProcessId child).Write("buf_1", -1, 0x42, by: child).Exit(child).Build();

    [Theory]
    [InlineData("a", "LBL_a")]
    [InlineData("stack_2", "LBL_stack_2")]
    [InlineData("abcdefghijklmnop", "LBL_abcdefghijklmnop")]
    public void LabelsBecomePrefixedIdentifiers(string label, string identifier) =>
        Assert.Equal(identifier, NativeProgramGenerator.LabelIdentifier(label));

    [Theory]
    [InlineData("")]
    [InlineData("A")]
    [InlineData("_a")]
    [InlineData("9")]
    [InlineData("a*/")]
    [InlineData("a\"b")]
    [InlineData("x;system(1)")]
    [InlineData("a\\")]
    [InlineData("a\nb")]
    [InlineData("é")]
    [InlineData("abcdefghijklmnopq")]
    public void LabelsOffTheWhitelistAreRejectedByTheGenerator(string label)
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => NativeProgramGenerator.LabelIdentifier(label));
        Assert.Contains("cannot become a C identifier", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TablesAreFormattedByTheGenerator()
    {
        string tables = NativeProgramGenerator.Tables(ForkWrite());

        Assert.Contains("#define LABEL_COUNT 1\n", tables, StringComparison.Ordinal);
        Assert.Contains("#define STEP_COUNT 4\n", tables, StringComparison.Ordinal);
        Assert.Contains("enum label_id { LBL_buf_1 = 0, LBL_END_ };", tables, StringComparison.Ordinal);
        Assert.Contains("LABEL_LO[LABEL_COUNT + 1] = { -1L, 0L };", tables, StringComparison.Ordinal);
        Assert.Contains("LABEL_HI[LABEL_COUNT + 1] = { 2L, 0L };", tables, StringComparison.Ordinal);
        Assert.Contains(
            "{ OP_MMAP, 0, LBL_buf_1, 0, 0L, 2L, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_GROWSDOWN, 0x00 }",
            tables,
            StringComparison.Ordinal);
        Assert.Contains("{ OP_FORK, 0, 0, 1, 0L, 0L, PROT_NONE, 0, 0x00 }", tables, StringComparison.Ordinal);
        Assert.Contains("{ OP_WRITE, 1, LBL_buf_1, 0, -1L, 1L, PROT_NONE, 0, 0x42 }", tables, StringComparison.Ordinal);
        Assert.Contains("{ OP_EXIT, 1, 0, 0, 0L, 0L, PROT_NONE, 0, 0x00 }", tables, StringComparison.Ordinal);
    }

    [Fact]
    public void TurnsExecuteThenLetEveryLiveProcessObserveInOrder()
    {
        string tables = NativeProgramGenerator.Tables(ForkWrite());
        string turns = tables[tables.IndexOf("TURNS[TURN_COUNT]", StringComparison.Ordinal)..];

        // step 0 by p0; step 1 fork by p0 then p0, p1 observe; step 2 by p1; step 3 exit by p1, only p0 observes.
        string expected =
            "\t{ 0, 0, 0, 0u },\n\t{ 0, 0, 1, 1u },\n" +
            "\t{ 1, 0, 0, 0u },\n\t{ 1, 0, 1, 1u },\n\t{ 1, 1, 1, 1u },\n" +
            "\t{ 2, 1, 0, 0u },\n\t{ 2, 0, 1, 1u },\n\t{ 2, 1, 1, 1u },\n" +
            "\t{ 3, 1, 0, 0u },\n\t{ 3, 0, 1, 1u },\n};\n";
        Assert.EndsWith(expected, turns, StringComparison.Ordinal);
        Assert.Contains("#define TURN_COUNT 10\n", tables, StringComparison.Ordinal);
    }

    [Fact]
    public void SourceIsTheRuntimeWithTablesAndNothingFromTheDescription()
    {
        string source = NativeProgramGenerator.Generate(ForkWrite());

        Assert.DoesNotContain(NativeProgramGenerator.TablesMarker, source, StringComparison.Ordinal);
        Assert.DoesNotContain("evil", source, StringComparison.Ordinal);
        Assert.Contains("/* tables of program gen, made by NativeProgramGenerator */", source, StringComparison.Ordinal);
        Assert.Contains("int main(void)", source, StringComparison.Ordinal);
        Assert.True(
            source.IndexOf("struct turn {", StringComparison.Ordinal) < source.IndexOf("TURNS[TURN_COUNT]", StringComparison.Ordinal));
    }

    [Fact]
    public void SourceAndHashAreDeterministic()
    {
        var runner = new NativeRunner();
        string a = NativeProgramGenerator.Generate(ForkWrite());
        string b = NativeProgramGenerator.Generate(ForkWrite());
        Assert.Equal(a, b);
        Assert.Equal(runner.ContentHash(a), runner.ContentHash(b));
        Assert.NotEqual(runner.ContentHash(a), runner.ContentHash(NativeProgramGenerator.Generate(ConformancePrograms.All[0])));
    }
}
