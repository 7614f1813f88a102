using ShadowPt.Actors;
using ShadowPt.Kernel;
using ShadowPt.Kernel.Programs;
using ShadowPt.Scenarios;
using ShadowPt.Scenarios.BuiltIn;

namespace ShadowPt.Tests.Kernel.WriteTracking;

/// <summary>force_sig_fault's siginfo (SEGV_MAPERR vs SEGV_ACCERR, si_addr) and the handler's retry of the access.</summary>
public sealed class SigsegvDeliveryTests
{
    private static readonly VirtAddr Heap = ShadowPtScenario.HeapAt;

    [Fact]
    public void AWriteToAReadOnlyMappingIsSegvAccerrAtTheFaultingAddress()
    {
        ProcessProgram program = new ProgramBuilder("segv-accerr", "a write to a read-only page")
            .Mmap("heap", 2, Prot.Read)
            .Write("heap", 1, 0x41)
            .Build();
        TaskStruct task = RunTarget(program);
        Assert.Equal(1, task.SigsegvCount);
        Assert.Equal(new Siginfo(Siginfo.Sigsegv, SegvCode.Accerr, Heap + PageGeometry.PageSize), task.LastSiginfo);
    }

    [Fact]
    public void AWriteWhereNothingIsMappedIsSegvMaperr()
    {
        ProcessProgram program = new ProgramBuilder("segv-maperr", "a write to an unmapped page")
            .Mmap("heap", 2)
            .Munmap("heap", 1, 1)
            .Write("heap", 1, 0x41)
            .Build();
        TaskStruct task = RunTarget(program);
        Assert.Equal(1, task.SigsegvCount);
        Assert.Equal(new Siginfo(Siginfo.Sigsegv, SegvCode.Maperr, Heap + PageGeometry.PageSize), task.LastSiginfo);
    }

    [Fact]
    public void TheTrackersHandlerRetriesAccerrButLeavesMaperrToTheProgram()
    {
        // The handler takes the ACCERR of the first write (the page becomes writable and the write is
        // retried: one SIGSEGV, the byte stored); a write to the hole is MAPERR, not the handler's: not retried.
        ProcessProgram program = new ProgramBuilder("segv-handler", "the tracker's handler on ACCERR and MAPERR")
            .Mmap("heap", 3)
            .Write("heap", 0, 0x01)
            .Munmap("heap", 2, 1)
            .Step(new MprotectTrackStep())
            .Write("heap", 0, 0x41)
            .Write("heap", 2, 0x42)
            .Read("heap", 1)
            .Build();
        (TaskStruct task, Machine machine) = RunTargetWithMachine(program);
        Assert.Equal(2, task.SigsegvCount);
        Assert.Equal(SegvCode.Maperr, task.LastSiginfo!.Code);
        Assert.Equal([Heap], machine.UserLogs.Pages("segv-handler"));
        Pte pte = task.Mm!.Pgd.GetPte(Heap);
        Assert.True(pte.IsPresent && pte.IsWrite);
        var bytes = new byte[1];
        machine.State.Frames.ReadBytes(pte.Pfn, 0, bytes, new Provenance(0, "test"));
        Assert.Equal(0x41, bytes[0]); // the retried write stored its byte
    }

    private static TaskStruct RunTarget(ProcessProgram program) => RunTargetWithMachine(program).Task;

    private static (TaskStruct Task, Machine Machine) RunTargetWithMachine(ProcessProgram program)
    {
        var placement = new Dictionary<string, VirtAddr>(StringComparer.Ordinal) { ["heap"] = Heap };
        var scenario = new ShadowPtScenario(new ScenarioDefinition
        {
            Name = "segv-test",
            Description = "a SIGSEGV test program",
            Machine = new MachineConfig { Cpus = 1, Frames = 256 },
            Processes = [new ProcessDefinition("target", 0, false, program, placement, false)],
            Inspectors = [],
        });
        RunReport report = ScenarioRunner.Run(() => scenario, new RunOptions { Seed = 1, StepsMax = 50_000 });
        Assert.Null(report.Violation);
        return (scenario.Machine!.State.Task(1), scenario.Machine);
    }
}
