using ShadowPt.Kernel;
using ShadowPt.Kernel.Programs;
using ShadowPt.Runtime;
using ShadowPt.Scenarios;
using static ShadowPt.Tests.Kernel.Userfaultfd.UffdWorld;

namespace ShadowPt.Tests.Kernel.Userfaultfd;

/// <summary>WP and MINOR modes, and the registration rules.</summary>
public sealed class UserfaultfdModesTests
{
    [Fact]
    public void AWriteToAWriteProtectedPageBlocksUntilWriteprotectClearsIt()
    {
        ProcessProgram program = new ProgramBuilder("uffd-wp", "a write to a uffd-wp page waits for UFFDIO_WRITEPROTECT")
            .Mmap("heap", 2)
            .Write("heap", 0, 0x11)
            .Fork(out ProcessId monitor)
            .Userfaultfd(UffdFeatures.PagefaultFlagWp)
            .UffdRegister("heap", 0, 2, UffdRegisterMode.Wp)
            .UffdWriteprotect("heap", 0, 1, enable: true)
            .UffdSend(monitor)
            .UffdRecv(monitor)
            .UffdServe(1, UffdResolve.Auto, by: monitor)
            .Read("heap", 0)
            .Write("heap", 0, 0x22)
            .Exit(monitor)
            .Build();
        for (ulong seed = 1; seed <= 16; seed++)
        {
            (RunReport report, KernelState s) = Run(program, seed);
            Assert.Null(report.Violation);
            UffdMsg msg = Uffd(s).Contexts[0].ReadLog.Single();
            Assert.Equal(UffdPagefaultFlags.Write | UffdPagefaultFlags.Wp, msg.Flags);
            Assert.Equal(Heap, msg.Address);
            Assert.Equal(1, Uffd(s).FaultsBlocked);
            Pte pte = PteOf(s, TargetPid, Heap);
            Assert.False(pte.IsUffdWp);
            Assert.True(pte.IsWrite);
            Assert.Equal(0x22, PageOf(s, TargetPid, Heap)[0]);
            Assert.Equal(new long[] { 0, 0 }, Results(s, "UFFDIO_WRITEPROTECT")); // set, then the monitor's clear
        }
    }

    [Fact]
    public void AMinorFaultOnShmemIsResolvedWithContinueMappingThePageCachePage()
    {
        ProcessProgram program = new ProgramBuilder("uffd-minor", "a cached shmem page not mapped goes to the monitor, who maps it with UFFDIO_CONTINUE")
            .Mmap("s", 2, Prot.Read | Prot.Write, MapFlags.Shared | MapFlags.Anonymous)
            .Write("s", 0, 0x77)
            .MadviseDontneed("s", 0, 1)
            .Fork(out ProcessId monitor)
            .Userfaultfd(UffdFeatures.MinorShmem)
            .UffdRegister("s", 0, 2, UffdRegisterMode.Minor)
            .UffdSend(monitor)
            .UffdRecv(monitor)
            .UffdServe(1, UffdResolve.Auto, by: monitor)
            .Read("s", 0)
            .Read("s", 1)
            .Exit(monitor)
            .Build();
        for (ulong seed = 1; seed <= 12; seed++)
        {
            (RunReport report, KernelState s) = Run(program, seed, inspector: false);
            Assert.Null(report.Violation);
            UffdMsg msg = Uffd(s).Contexts[0].ReadLog.Single();
            Assert.Equal(UffdPagefaultFlags.Minor, msg.Flags);
            Assert.Equal(Shared, msg.Address);
            Assert.Equal(new long[] { 0 }, Results(s, "UFFDIO_CONTINUE"));
            Assert.Equal(0x77, PageOf(s, TargetPid, Shared)[0]);
            Assert.True(PteOf(s, TargetPid, Page(Shared, 1)).IsPresent); // not cached: not MINOR, an ordinary shmem fault
        }
    }

    [Fact]
    public void RegistrationFollowsTheKernelsRules()
    {
        ProcessProgram program = new ProgramBuilder("uffd-register", "UFFDIO_REGISTER errors")
            .Mmap("heap", 2)
            .Userfaultfd()
            .UffdRegister("heap", 0, 3, UffdRegisterMode.Missing)  // past the end: a hole, -EINVAL
            .UffdRegister("heap", 0, 1, UffdRegisterMode.Minor)    // MINOR on anonymous memory: -EINVAL
            .UffdRegister("heap", 1, 1, UffdRegisterMode.Missing)  // ok: the VMA splits
            .Userfaultfd()
            .UffdRegister("heap", 1, 1, UffdRegisterMode.Missing, uffd: 1) // another context: -EBUSY
            .UffdUnregister("heap", 0, 2)
            .UffdRegister("heap", 0, 1, UffdRegisterMode.Missing, uffd: 1) // free again: ok
            .Build();
        (RunReport report, KernelState s) = Run(program, 1, inspector: false);
        Assert.Null(report.Violation);
        long einval = Err(Errno.EINVAL);
        Assert.Equal(new[] { einval, einval, 0, Err(Errno.EBUSY), 0 }, Results(s, "UFFDIO_REGISTER"));
        VmArea[] vmas = s.Task(TargetPid).Mm!.Vmas.All.Where(v => v.VmStart >= Heap && v.VmStart < Page(Heap, 2)).ToArray();
        Assert.Equal(2, vmas.Length);
        Assert.Equal(VmFlags.UffdMissing, vmas[0].VmFlags & UffdApi.VmUffdFlags);
        Assert.Equal(VmFlags.None, vmas[1].VmFlags & UffdApi.VmUffdFlags);
        Assert.Equal(2, Uffd(s).Contexts[1].Id);
        Assert.Same(Uffd(s).Contexts[1], Uffd(s).RegisteredCtx(s.Task(TargetPid).Mm!.Id));
    }

    [Fact]
    public void TheMessageEncodingRoundTrips()
    {
        var fault = UffdMsg.Pagefault(new VirtAddr(0x7f0000001234), UffdPagefaultFlags.Write | UffdPagefaultFlags.Wp);
        Assert.Equal(new VirtAddr(0x7f0000001000), fault.Address);
        Assert.Equal(fault, UffdMsg.Decode(fault.Encode()));
        var fork = new UffdMsg(UffdEvent.Fork, UffdPagefaultFlags.None, default, default, 7);
        Assert.Equal(fork, UffdMsg.Decode(fork.Encode()));
        Assert.True(fault.Encode() > 0);
    }
}
