using ShadowPt.Kernel.Conformance;
using ShadowPt.Kernel.Programs;

namespace ShadowPt.Tests.Kernel.Conformance;

/// <summary>The simulator against this machine's Linux kernel, program by program.</summary>
public sealed class SimulatorConformanceTests
{
    public static TheoryData<string> Programs()
    {
        var data = new TheoryData<string>();
        foreach (ProcessProgram p in ConformancePrograms.All)
        {
            data.Add(p.Name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Programs))]
    public void SimulatorAgreesWithLinux(string name)
    {
        ProcessProgram program = ConformancePrograms.Get(name);
        ConformanceReport report = ConformanceSuite.Run(new NativeRunner(new NativeRunnerOptions()), new SimulatorRunner(), [program]);
        ObservationComparison comparison = Assert.Single(report.Comparisons);
        Assert.True(comparison.Agree, comparison.Describe());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void ObservationsDoNotDependOnTheNumberOfCpusOrTheSeed(int cpus)
    {
        foreach (ProcessProgram program in ConformancePrograms.All)
        {
            string reference = new SimulatorRunner(2, 1).Run(program).ToCanonicalText();
            for (ulong seed = 1; seed <= 3; seed++)
            {
                Assert.Equal(reference, new SimulatorRunner(cpus, seed).Run(program).ToCanonicalText());
            }
        }
    }
}
