using System.Runtime.Versioning;
using ShadowPt.Kernel.Conformance;

namespace ShadowPt.Tests.Kernel.Conformance;

/// <summary>userfaultfd MISSING faults with UFFDIO_COPY and UFFDIO_ZEROPAGE on this machine's kernel and in the simulator.</summary>
[SupportedOSPlatform("linux")]
public sealed class UffdConformanceTests
{
    /// <summary>What Linux 6.18 shows (docs/fidelity.md O12): read faults, flags 0, one minor fault each, the zero page not exclusive, -EEXIST.</summary>
    private static readonly string[] Expected =
    [
        "read 0: 0x30", "read 1: 0x00", "faults: minflt 2 majflt 0", "msg 0: page 0 flags 0", "msg 1: page 1 flags 0",
        "page 0: present exclusive", "page 1: present shared", "byte 0+100: 0x94", "byte 1+100: 0x00", "copy-again: -17",
    ];

    [Fact]
    public void TheSimulatorShowsTheExpectedFactsOnEverySeed()
    {
        for (ulong seed = 1; seed <= 8; seed++)
        {
            Assert.Equal(Expected, UffdConformance.RunSimulator(seed));
        }
    }

    [Fact]
    public void LinuxAgreesOrSaysItCannot()
    {
        UffdConformanceResult result = UffdConformance.Run(new NativeRunnerOptions());
        if (!result.Supported)
        {
            Assert.StartsWith($"{UffdConformance.Name}: unsupported here: ", result.Describe(), StringComparison.Ordinal);
            return;
        }

        Assert.Equal(Expected, result.Linux);
        Assert.True(result.Agrees, result.Describe());
    }

    [Fact]
    public void ADifferenceIsNamedFactByFact()
    {
        var result = new UffdConformanceResult(true, string.Empty, ["read 0: 0x30", "faults: minflt 2 majflt 0"], ["read 0: 0x30", "faults: minflt 0 majflt 2"]);
        Assert.False(result.Agrees);
        Assert.Equal(["linux: faults: minflt 2 majflt 0 | simulator: faults: minflt 0 majflt 2"], result.Differences);
    }
}
