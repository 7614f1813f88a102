using ShadowPt.Actors;
using ShadowPt.Checking;
using ShadowPt.Kernel;
using ShadowPt.Kernel.Programs;
using ShadowPt.Runtime;
using ShadowPt.Scenarios;
using ShadowPt.Scenarios.BuiltIn;

namespace ShadowPt.Tests.Kernel.Userfaultfd;

/// <summary>Runs userfaultfd programs on a 2-CPU machine (target on CPU 0, its first child on CPU 1) with every check on.</summary>
internal static class UffdWorld
{
    /// <summary>pid of the root process (the target); the inspector is pid 2; children follow from 3.</summary>
    public const int TargetPid = 1;

    /// <summary>Where the label <c>heap</c> is mapped.</summary>
    public static VirtAddr Heap => ShadowPtScenario.HeapAt;

    /// <summary>Where the label <c>s</c> (shared memory) is mapped.</summary>
    public static readonly VirtAddr Shared = new(0x20000000);

    public static ShadowPtScenario Scenario(ProcessProgram program, bool inspector = true)
    {
        var placement = new Dictionary<string, VirtAddr>(StringComparer.Ordinal) { ["heap"] = Heap, ["s"] = Shared };
        return new ShadowPtScenario(new ScenarioDefinition
        {
            Name = "uffd-test",
            Description = "a userfaultfd test program",
            Machine = new MachineConfig { Cpus = 2, Frames = 512 },
            Processes = [new ProcessDefinition("target", 0, false, program, placement, false)],
            Inspectors = inspector
                ? [new InspectorDefinition("inspector", 1, "target", ShadowPtScenario.Tracked.Start.Value, ShadowPtScenario.Tracked.End.Value, 1, 4, InspectorEnding.Close, null, true)]
                : [],
            Monitors = [() => new UserfaultResolvedMonitor()],
        });
    }

    /// <summary>Runs <paramref name="program"/> with <paramref name="seed"/>; the scenario keeps the machine for inspection.</summary>
    public static (RunReport Report, KernelState State) Run(ProcessProgram program, ulong seed, bool inspector = true)
    {
        ShadowPtScenario scenario = Scenario(program, inspector);
        RunReport report = ScenarioRunner.Run(() => scenario, new RunOptions { Seed = seed, StepsMax = 200_000 });
        return (report, scenario.Machine!.State);
    }

    public static UffdState Uffd(KernelState s) => s.Extension<UffdState>();

    /// <summary>The PTE of <paramref name="address"/> in the mm of <paramref name="pid"/> (its last mm if it exited).</summary>
    public static Pte PteOf(KernelState s, int pid, VirtAddr address) => s.Task(pid).Mm!.Pgd.GetPte(address);

    /// <summary>The whole page <paramref name="pid"/> maps at <paramref name="address"/>.</summary>
    public static byte[] PageOf(KernelState s, int pid, VirtAddr address)
    {
        Pte pte = PteOf(s, pid, address);
        Assert.True(pte.IsPresent, $"no page at {address} in pid {pid}");
        var bytes = new byte[PageGeometry.PageSize];
        s.Frames.ReadBytes(pte.Pfn, 0, bytes, new Provenance(0, "test"));
        return bytes;
    }

    /// <summary>The bytes a UFFDIO_COPY with <paramref name="fill"/> writes.</summary>
    public static byte[] Copied(byte fill) =>
        Enumerable.Range(0, (int)PageGeometry.PageSize).Select(i => UffdioCopyCall.SourceByte(fill, i)).ToArray();

    public static long[] Results(KernelState s, string call) =>
        Uffd(s).IoctlLog.Where(l => l.Call == call).Select(l => l.Ret).ToArray();

    /// <summary>-errno as a system call returns it.</summary>
    public static long Err(Errno e) => -(long)e;

    public static VirtAddr Page(VirtAddr label, int index) => label + ((ulong)index * PageGeometry.PageSize);
}
