using ShadowPt.Kernel;
using ShadowPt.Kernel.Programs;
using ShadowPt.Runtime;
using ShadowPt.Scenarios;
using static ShadowPt.Tests.Kernel.Userfaultfd.UffdWorld;

namespace ShadowPt.Tests.Kernel.Userfaultfd;

/// <summary>Non-cooperative events and the documented caveats: fork with and without EVENT_FORK, COPY after a layout change and after the target's exit.</summary>
public sealed class UserfaultfdEventsTests
{
    private const byte Fill = 0x60;

    /// <summary>pid of the second child (without an inspector: the monitor is pid 2).</summary>
    private const int SecondChildPid = 3;

    [Fact]
    public void WithoutEventForkAChildsFaultsAreResolvedWithZeroPages()
    {
        ProcessProgram program = new ProgramBuilder("uffd-fork-plain", "a child of a registered process faults without the monitor")
            .Mmap("heap", 2)
            .Fork(out ProcessId monitor)
            .Userfaultfd()
            .UffdRegister("heap", 0, 2, UffdRegisterMode.Missing)
            .UffdSend(monitor)
            .UffdRecv(monitor)
            .UffdServe(1, UffdResolve.Copy, Fill, by: monitor)
            .Read("heap", 0)
            .Fork(out ProcessId child)
            .Read("heap", 1, by: child)
            .Write("heap", 0, 0x42, by: child)
            .Exit(monitor)
            .Build();
        for (ulong seed = 1; seed <= 10; seed++)
        {
            (RunReport report, KernelState s) = Run(program, seed, inspector: false);
            Assert.Null(report.Violation);
            Assert.Single(Uffd(s).Contexts[0].ReadLog); // only the parent's fault went to the monitor
            Assert.Equal(1, Uffd(s).FaultsBlocked);
            Assert.Single(Uffd(s).Contexts);
            Assert.Contains(s.Task(TargetPid).Mm!.Vmas.All, UffdApi.IsRegistered); // the parent keeps its registration
            Assert.DoesNotContain(s.Task(SecondChildPid).Mm!.Vmas.All, UffdApi.IsRegistered); // dup_userfaultfd cleared the child's
            Assert.Equal(FrameAllocator.ZeroPfn, PteOf(s, SecondChildPid, Page(Heap, 1)).Pfn); // resolved with the zero page
            byte[] copied = Copied(Fill);
            copied[0] = 0x42;
            Assert.Equal(copied, PageOf(s, SecondChildPid, Heap)); // the parent's copied page, COW-copied by the child's write
        }
    }

    [Fact]
    public void WithEventForkTheMonitorGetsTheChildsContextAndResolvesItsFaults()
    {
        ProcessProgram program = new ProgramBuilder("uffd-fork-event", "fork reported to the monitor, who serves the child too")
            .Mmap("heap", 2)
            .Fork(out ProcessId monitor)
            .Userfaultfd(UffdFeatures.EventFork)
            .UffdRegister("heap", 0, 2, UffdRegisterMode.Missing)
            .UffdSend(monitor)
            .UffdRecv(monitor)
            .UffdServe(1, UffdResolve.None, by: monitor)          // the FORK event
            .UffdServe(1, UffdResolve.Copy, Fill, by: monitor, uffd: 1) // the child's fault, on the child's context
            .Fork(out ProcessId child)
            .Read("heap", 1, by: child)
            .Exit(monitor)
            .Build();
        for (ulong seed = 1; seed <= 10; seed++)
        {
            (RunReport report, KernelState s) = Run(program, seed, inspector: false);
            Assert.Null(report.Violation);
            UffdState u = Uffd(s);
            Assert.Equal(2, u.Contexts.Count);
            Assert.Equal(UffdEvent.Fork, u.Contexts[0].ReadLog.Single().Event);
            UffdMsg childFault = u.Contexts[1].ReadLog.Single();
            Assert.Equal(Page(Heap, 1), childFault.Address);
            Assert.Equal(s.Task(SecondChildPid).Mm!.Id, u.Contexts[1].Mm);
            Assert.Equal(Copied(Fill), PageOf(s, SecondChildPid, Page(Heap, 1)));
            Assert.Equal(0, u.Contexts[0].MmapChanging);
        }
    }

    [Fact]
    public void CopyDuringAnUnmapEventIsEagainAndAfterTheUnmapEnoent()
    {
        ProcessProgram program = new ProgramBuilder("uffd-unmap", "UFFDIO_COPY while UNMAP is unread, then after the unmap")
            .Mmap("heap", 4)
            .Fork(out ProcessId monitor)
            .Userfaultfd(UffdFeatures.EventUnmap)
            .UffdRegister("heap", 0, 4, UffdRegisterMode.Missing)
            .UffdSend(monitor)
            .UffdRecv(monitor)
            .Munmap("heap", 2, 2)                       // waits until the monitor reads UNMAP
            .Think(20).UffdCopy("heap", 0, 1, Fill, by: monitor) // mmap_changing: -EAGAIN
            .UffdServe(1, UffdResolve.None, by: monitor)  // reads UNMAP; the munmap returns
            .Think(20).UffdCopy("heap", 2, 1, Fill, by: monitor) // the VMA is gone: -ENOENT
            .UffdCopy("heap", 1, 1, Fill, by: monitor)    // still registered: 0
            .Exit(monitor)
            .Build();
        for (ulong seed = 1; seed <= 10; seed++)
        {
            (RunReport report, KernelState s) = Run(program, seed, inspector: false);
            Assert.Null(report.Violation);
            Assert.Equal(new[] { Err(Errno.EAGAIN), Err(Errno.ENOENT), 0 }, Results(s, "UFFDIO_COPY"));
            UffdMsg unmap = Uffd(s).Contexts[0].ReadLog.Single();
            Assert.Equal(UffdEvent.Unmap, unmap.Event);
            Assert.Equal(Page(Heap, 2), unmap.Address);
            Assert.Equal(new long[] { 0 }, Results(s, "UFFDIO_COPY").TakeLast(1).ToArray());
        }
    }

    [Fact]
    public void CopyAfterTheTargetExitedIsEsrch()
    {
        ProcessProgram program = new ProgramBuilder("uffd-exit", "UFFDIO_COPY into a target that exited")
            .Mmap("heap", 1)
            .Fork(out ProcessId target)
            .Userfaultfd(by: target)
            .UffdRegister("heap", 0, 1, UffdRegisterMode.Missing, by: target)
            .UffdSend(ProcessId.Root, by: target)
            .UffdRecv(ProcessId.Root)
            .Exit(target)
            .Think(20).UffdCopy("heap", 0, 1, Fill)
            .Build();
        (RunReport report, KernelState s) = Run(program, 5, inspector: false);
        Assert.Null(report.Violation);
        Assert.Equal(new[] { Err(Errno.ESRCH) }, Results(s, "UFFDIO_COPY"));
        Assert.False(Uffd(s).Contexts[0].Released); // the monitor (p0) still holds it
    }

    [Fact]
    public void MadviseDontneedIsReportedAsRemoveAndTheNextFaultGoesToTheMonitorAgain()
    {
        ProcessProgram program = new ProgramBuilder("uffd-remove", "MADV_DONTNEED on a registered page: REMOVE, then a new MISSING fault")
            .Mmap("heap", 1)
            .Fork(out ProcessId monitor)
            .Userfaultfd(UffdFeatures.EventRemove)
            .UffdRegister("heap", 0, 1, UffdRegisterMode.Missing)
            .UffdSend(monitor)
            .UffdRecv(monitor)
            .UffdServe(3, UffdResolve.Copy, Fill, by: monitor)
            .Read("heap", 0)
            .MadviseDontneed("heap", 0, 1)
            .Read("heap", 0)
            .Exit(monitor)
            .Build();
        for (ulong seed = 1; seed <= 10; seed++)
        {
            (RunReport report, KernelState s) = Run(program, seed);
            Assert.Null(report.Violation);
            UffdEvent[] events = Uffd(s).Contexts[0].ReadLog.Select(m => m.Event).ToArray();
            Assert.Equal(new[] { UffdEvent.Pagefault, UffdEvent.Remove, UffdEvent.Pagefault }, events);
            Assert.Equal(Copied(Fill), PageOf(s, TargetPid, Heap));
        }
    }
}
