using ShadowPt.Checking;
using ShadowPt.Kernel;
using ShadowPt.Kernel.Programs;
using ShadowPt.Scenarios;
using ShadowPt.Scenarios.BuiltIn;
using ShadowPt.Tests.Kernel.Userfaultfd;

namespace ShadowPt.Tests.Checking;

/// <summary>The userfaultfd spec monitor: liveness of blocked faults and the contents of copied pages.</summary>
public sealed class UserfaultResolvedMonitorTests
{
    private static readonly VirtAddr Page = new(0x10002000);

    [Fact]
    public void AReadOfACopiedPageMustReturnTheCopiedByte()
    {
        var monitor = new UserfaultResolvedMonitor();
        monitor.Deliver(new SyscallReturned(new CpuId(1), 3, new UffdioCopyCall(3, Page, PageGeometry.PageSize, 0x10, 0), 0, false));
        monitor.Deliver(new UserAccessed(new CpuId(0), 1, Page + 5, false, 0x15, false, false)); // fill + 5: fine
        MonitorAssertionException e = Assert.Throws<MonitorAssertionException>(
            () => monitor.Deliver(new UserAccessed(new CpuId(0), 1, Page + 6, false, 0x00, false, false)));
        Assert.Contains("after UFFDIO_COPY", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AWriteOrAFailedCopyForgetsThePage()
    {
        var monitor = new UserfaultResolvedMonitor();
        monitor.Deliver(new SyscallReturned(new CpuId(1), 3, new UffdioCopyCall(3, Page, PageGeometry.PageSize, 0x10, 0), -17, false));
        monitor.Deliver(new UserAccessed(new CpuId(0), 1, Page, false, 0x99, false, false));
        monitor.Deliver(new SyscallReturned(new CpuId(1), 3, new UffdioCopyCall(3, Page, PageGeometry.PageSize, 0x10, 0), 0, false));
        monitor.Deliver(new UserAccessed(new CpuId(0), 1, Page, true, 0x41, false, false));
        monitor.Deliver(new UserAccessed(new CpuId(0), 1, Page, false, 0x41, false, false));
        Assert.False(monitor.CurrentState.IsHot);
    }

    [Fact]
    public void ATaskNeverWokenIsALivenessViolationOfTheMonitorAlone()
    {
        ProcessProgram program = new ProgramBuilder("uffd-never-woken", "the monitor copies with DONTWAKE and never wakes")
            .Mmap("heap", 1)
            .Fork(out ProcessId monitor)
            .Userfaultfd()
            .UffdRegister("heap", 0, 1, UffdRegisterMode.Missing)
            .UffdSend(monitor)
            .UffdRecv(monitor)
            .UffdServe(1, UffdResolve.None, by: monitor)
            .UffdCopy("heap", 0, 1, 0x10, dontWake: true, by: monitor)
            .Read("heap", 0)
            .Build();
        ShadowPtScenario scenario = UffdWorld.Scenario(program, inspector: false);
        scenario.SelectChecks(new HashSet<string>(["monitors"], StringComparer.Ordinal));
        RunReport report = ScenarioRunner.Run(() => scenario, new RunOptions { Seed = 2 });
        Assert.Equal("liveness", report.Violation?.Kind);
        Assert.Contains(UserfaultResolvedMonitor.MonitorName, report.Violation!.Message, StringComparison.Ordinal);
        Assert.Contains("blocked in handle_userfault and never woken: pid 1", report.Violation.Message, StringComparison.Ordinal);
    }
}
