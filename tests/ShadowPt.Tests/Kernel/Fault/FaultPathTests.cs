using ShadowPt.Kernel;
using ShadowPt.Tests.TestKit;

namespace ShadowPt.Tests.Kernel.Fault;

/// <summary>do_user_addr_fault → handle_mm_fault and its branches, on 1 and 4 CPUs.</summary>
public sealed class FaultPathTests
{
    private const ulong Page = SimMachine.Page;

    public static TheoryData<int> CpuCounts() => new(1, 4);

    [Theory]
    [MemberData(nameof(CpuCounts))]
    public void ReadMapsTheZeroPageAndAWriteAfterItGetsAPageOfItsOwn(int cpus)
    {
        using var sim = new SimMachine(cpus);
        int cpu = cpus - 1;
        int pid = sim.Spawn();
        VirtAddr a = sim.Mmap(pid, cpu, 1);

        Assert.Equal(0, sim.Read(pid, cpu, a + 100));

        Pte zero = sim.PteOf(pid, a);
        Assert.Equal(FrameAllocator.ZeroPfn, zero.Pfn);
        Assert.True(zero.IsPresent && !zero.IsWrite && zero.IsSpecial);
        Assert.Equal(1, sim.MinFlt(pid));
        Assert.Equal(0, sim.Read(pid, cpu, a)); // a TLB hit: no fault
        Assert.Equal(1, sim.MinFlt(pid));
        int allocated = sim.State.Frames.AllocatedCount;

        sim.Write(pid, cpu, a + 100, 0x41);

        Pte own = sim.PteOf(pid, a);
        Assert.NotEqual(FrameAllocator.ZeroPfn, own.Pfn);
        Assert.True(own.IsWrite && own.IsDirty);
        Assert.Equal(2, sim.MinFlt(pid));
        Assert.Equal(allocated + 1, sim.State.Frames.AllocatedCount);
        Assert.Equal(0x41, sim.Read(pid, cpu, a + 100));
        Assert.Equal(0, sim.Read(pid, cpu, a + 101)); // the copy of the zero page is zeroed
        sim.AssertTlbCoherent();
    }

    [Theory]
    [MemberData(nameof(CpuCounts))]
    public void AccessOutsideEveryVmaRaisesSigsegvWithoutCountingAFault(int cpus)
    {
        using var sim = new SimMachine(cpus);
        int cpu = cpus - 1;
        int pid = sim.Spawn();
        sim.CatchSigsegv(pid, cpu);

        UserResult read = sim.Access(pid, cpu, new VirtAddr(0x10000), false);
        UserResult write = sim.Access(pid, cpu, new VirtAddr(0x7f0000000000), true, 1);

        Assert.Equal(new UserResult(0, true, 0, false) { Siginfo = new Siginfo(Siginfo.Sigsegv, SegvCode.Maperr, new VirtAddr(0x10000)) }, read);
        Assert.Equal(new UserResult(0, true, 0, false) { Siginfo = new Siginfo(Siginfo.Sigsegv, SegvCode.Maperr, new VirtAddr(0x7f0000000000)) }, write);
        Assert.Equal(2, sim.State.Task(pid).SigsegvCount);
        Assert.Equal(0, sim.MinFlt(pid));
        Assert.Equal(1, sim.State.Frames.AllocatedCount); // just the PGD: no table was allocated for a bad area
    }

    [Theory]
    [MemberData(nameof(CpuCounts))]
    public void WriteToAReadOnlyMappingRaisesSigsegvAndAReadStillWorks(int cpus)
    {
        using var sim = new SimMachine(cpus);
        int cpu = cpus - 1;
        int pid = sim.Spawn();
        sim.CatchSigsegv(pid, cpu);
        VirtAddr a = sim.Mmap(pid, cpu, 1, Prot.Read);

        Assert.True(sim.Access(pid, cpu, a, true, 0x41).Segv);
        Assert.Equal(0, sim.MinFlt(pid));
        Assert.True(sim.PteOf(pid, a).IsNone);
        Assert.Equal(0, sim.Read(pid, cpu, a));
        Assert.Equal(1, sim.MinFlt(pid));
        Assert.True(sim.Access(pid, cpu, a, true, 0x41).Segv); // a TLB hit without write permission faults too
        Assert.Equal(1, sim.MinFlt(pid));
    }

    [Theory]
    [MemberData(nameof(CpuCounts))]
    public void OutOfMemoryOnAFaultKillsTheTaskAndFreesItsMemory(int cpus)
    {
        using var sim = new SimMachine(cpus, frames: 16);
        int cpu = cpus - 1;
        int pid = sim.Spawn();
        VirtAddr a = sim.Mmap(pid, cpu, 32);
        UserResult last = default!;
        int written = 0;
        for (; written < 32; written++)
        {
            last = sim.Access(pid, cpu, a + ((ulong)written * Page), true, 1);
            if (last.Killed)
            {
                break;
            }
        }

        Assert.Equal(new UserResult(0, false, 0, true), last);
        Assert.Equal(10, written); // 14 usable frames: PGD, PUD, PMD, PTE table and ten pages
        TaskStruct task = sim.State.Task(pid);
        Assert.Equal(137, task.ExitCode); // SIGKILL from the OOM killer
        sim.AssertAllFreed();
    }

    [Theory]
    [MemberData(nameof(CpuCounts))]
    public void PrivateFileMappingReadsThePageCacheAndAWriteCopiesIt(int cpus)
    {
        using var sim = new SimMachine(cpus);
        int cpu = cpus - 1;
        int pid = sim.Spawn();
        var file = new MappedFile(0x2000, 8, 1, "/data/file", SizePages: 2, Writable: false);
        VirtAddr a = MapFile(sim, pid, file, pages: 2, MapFlags.Private, Prot.Read | Prot.Write);

        Assert.Equal(0, sim.Read(pid, cpu, a));

        Pte cached = sim.PteOf(pid, a);
        Assert.Equal(FrameKind.PageCache, sim.State.Frames.Kind(cached.Pfn));
        Assert.False(cached.IsWrite);
        Assert.Equal((1L, 0L), (sim.MmOf(pid).MajFlt, sim.MinFlt(pid))); // read from "disk": a major fault

        sim.Write(pid, cpu, a, 0x41); // do_wp_page: a private copy

        Pte copy = sim.PteOf(pid, a);
        Assert.Equal(FrameKind.Anon, sim.State.Frames.Kind(copy.Pfn));
        Assert.True(copy.IsWrite);
        Assert.Equal((1, 0), (sim.State.Frames.PageRefCount(cached.Pfn), sim.State.Frames.PageMapCount(cached.Pfn))); // only the cache holds it
        Assert.Equal(1, sim.MinFlt(pid));

        sim.Write(pid, cpu, a + Page, 0x42); // do_cow_fault: a first write copies without mapping the cache page
        Assert.Equal(FrameKind.Anon, sim.State.Frames.Kind(sim.PteOf(pid, a + Page).Pfn));
        Assert.Equal(2, sim.State.PageCache.Count);
        Assert.Equal(2, sim.MmOf(pid).MajFlt);

        sim.Exit(pid, cpu);
        sim.AssertAllFreed();
        Assert.Equal(2, sim.State.PageCache.Count); // file pages stay cached after the last unmap
    }

    [Theory]
    [MemberData(nameof(CpuCounts))]
    public void SharedFileMappingWritesThePageCachePageInPlace(int cpus)
    {
        using var sim = new SimMachine(cpus);
        int cpu = cpus - 1;
        int pid = sim.Spawn();
        var file = new MappedFile(0x2001, 8, 1, "/data/shared", SizePages: 1, Writable: true);
        VirtAddr a = MapFile(sim, pid, file, pages: 1, MapFlags.Shared, Prot.Read | Prot.Write);

        sim.Write(pid, cpu, a, 0x41);

        Pte pte = sim.PteOf(pid, a);
        Assert.Equal(FrameKind.PageCache, sim.State.Frames.Kind(pte.Pfn));
        Assert.True(pte.IsWrite && pte.IsDirty);
        Assert.Equal(pte.Pfn, Assert.Single(sim.State.PageCache.Pages));
        Assert.Equal(1, sim.MmOf(pid).MajFlt);
    }

    [Theory]
    [MemberData(nameof(CpuCounts))]
    public void AccessBeyondTheEndOfTheFileRaisesSigbus(int cpus)
    {
        // filemap_fault: index >= DIV_ROUND_UP(i_size, PAGE_SIZE) → VM_FAULT_SIGBUS (reported as a signal).
        using var sim = new SimMachine(cpus);
        int cpu = cpus - 1;
        int pid = sim.Spawn();
        sim.CatchSigsegv(pid, cpu);
        var file = new MappedFile(0x2002, 8, 1, "/data/short", SizePages: 1, Writable: false);
        VirtAddr a = MapFile(sim, pid, file, pages: 2, MapFlags.Private, Prot.Read);

        Assert.Equal(0, sim.Read(pid, cpu, a));
        UserResult beyond = sim.Access(pid, cpu, a + Page, false);

        Assert.True(beyond.Segv && !beyond.Killed);
        Assert.True(sim.PteOf(pid, a + Page).IsNone);
        Assert.Equal(1, sim.State.PageCache.Count); // no page cache page past EOF
    }

    /// <summary>A file mapping made as a loader would, before the run (there is no open/mmap of files in user programs).</summary>
    private static VirtAddr MapFile(SimMachine sim, int pid, MappedFile file, int pages, MapFlags flags, Prot prot)
    {
        MmapResult r = Mmap.DoMmap(sim.MmOf(pid), VirtAddr.Zero, (ulong)pages * Page, prot, flags, file, 0);
        Assert.Equal(Errno.None, r.Error);
        return r.Address;
    }
}
