using ShadowPt.Checking;
using ShadowPt.Kernel;
using ShadowPt.Runtime;
using ShadowPt.Runtime.Actors;
using ShadowPt.Tests.TestKit;
using static ShadowPt.Tests.Checking.TlbCoherenceWorld;

namespace ShadowPt.Tests.Checking;

/// <summary>
/// The TLB-coherence checker on small machines driven by hand: the munmap race of two threads (the
/// window the mmu_gather rule allows, and freeing before the shootdown), a lazy CPU that a broken
/// flush_tlb_func leaves with a stale entry, and a driver reading a frame after it was freed.
/// </summary>
public sealed class TlbCoherenceSmpTests
{
    private const ulong Page = SimMachine.Page;

    /// <summary>Where the lazy-CPU scenario maps its second region: alone under its own page tables.</summary>
    private static readonly VirtAddr FarAway = new(0x40000000);

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void TheMunmapRaceUsesTheOldTranslationOnlyInTheAllowedWindowAndIsNeverReported(int cpus)
    {
        long windowHits = 0;
        for (ulong seed = 1; seed <= 100; seed++)
        {
            (Violation? v, TlbCoherenceObserver observer, _) = MunmapRace(cpus, seed, []);
            Assert.True(v is null, $"seed {seed}: {v?.Kind}: {v?.Message}");
            windowHits += observer.WindowHits;
        }

        // Not vacuous: readers kept using their TLB after the PTE was cleared and before the shootdown ended.
        Assert.True(windowHits > 50, $"only {windowHits} reads in the window");
    }

    [Fact]
    public void FreeingBeforeTheShootdownInTheMunmapRaceIsReportedAtTheFreeNamingBothCpus()
    {
        for (ulong seed = 1; seed <= 30; seed++)
        {
            (Violation? v, _, RaceFacts facts) = MunmapRace(2, seed, [ShadowPt.Kernel.Syscalls.FreeBeforeShootdownVariant]);
            Assert.Equal(TlbCoherenceObserver.FreeBeforeFlushKind, v?.Kind);
            string page = facts.Address.ToString();
            AssertReport(
                v!.Message,
                "==================================================================",
                $"BUG: pfn {facts.Pfn} freed while cpu0, cpu1 may still translate to it (no completed TLB shootdown)",
                "freed by: 'cpu0 pid 1 tlb_finish_mmu' at step {n}",
                $"translated by: cpu0 mm1 {page} -> pfn {facts.Pfn} (writable), filled at step {{n}} by pid 1; live; PTE changed by 'cpu0 pid 1 zap_pte_range' at step {{n}} at tlb_gen 0; no shootdown covering it has completed since",
                $"translated by: cpu1 mm1 {page} -> pfn {facts.Pfn} (writable), filled at step {{n}} by pid 2; live; PTE changed by 'cpu0 pid 1 zap_pte_range' at step {{n}} at tlb_gen 0; no shootdown covering it has completed since",
                $"mapped by: mm1 {page}: {facts.Pte}, written by 'cpu0 pid 1 do_anonymous_page set_pte_at' at step {{n}}",
                $"unmapped by: mm1 {page}: 'cpu0 pid 1 zap_pte_range' at step {{n}} wrote pte 0x0 none",
                $"frame: pfn {facts.Pfn}: Free, refcount 0, mapcount 0, generation 1; last allocated by 'cpu0 pid 1 do_anonymous_page' at step {{n}}; last freed by 'cpu0 pid 1 tlb_finish_mmu' at step {{n}}",
                "==================================================================");
        }
    }

    [Fact]
    public void ALazyCpuLeftUpToDateWithAStaleEntryIsReportedAtTheNextQuiescentPoint()
    {
        using var sim = new SimMachine(2, seed: 1, frames: 64, variants: [KernelContext.PartialFlushAfterMissedFlushVariant]);
        TlbCoherenceObserver observer = TlbCoherenceObserver.Attach(sim.System, sim.Machine);
        LazyFacts facts = LeaveCpu1LazyWithAnUnmappedPage(sim);
        sim.Start(facts.Unmapper, 0, new SyscallOp(new MunmapCall(facts.Far, Page))); // frees tables: the IPI reaches lazy cpu1
        sim.System.Run();

        Violation v = Assert.IsType<Violation>(sim.System.Violation);
        Assert.Same(observer.Report, v);
        Assert.Equal(TlbCoherenceObserver.StaleTlbKind, v.Kind);
        AssertReport(
            v.Message,
            "==================================================================",
            $"BUG: stale TLB entry at a quiescent point: cpu1 is up to date with mm1 (tlb_gen 2) but caches {facts.Address}",
            $"cached: cpu1 mm1 {facts.Address} -> pfn {facts.Pfn} (writable), filled at step {{n}} by pid 2; live",
            "PTE now: pte 0x0 none, last written by 'cpu0 pid 1 zap_pte_range' at step {n} at tlb_gen 0",
            "==================================================================");
    }

    [Fact]
    public void ALazyCpuUsingAnEntryThatACompletedShootdownHadToDropIsReportedAtTheAccess()
    {
        for (ulong seed = 1; seed <= 20; seed++)
        {
            foreach (bool broken in (bool[])[false, true])
            {
                using var sim = new SimMachine(2, seed, frames: 64, variants: broken ? [KernelContext.PartialFlushAfterMissedFlushVariant] : []);
                TlbCoherenceObserver observer = TlbCoherenceObserver.Attach(sim.System, sim.Machine);
                LazyFacts facts = LeaveCpu1LazyWithAnUnmappedPage(sim);

                // The second munmap frees page tables, so its IPI reaches lazy cpu1 too; once cpu1 took
                // it (and before the munmap ends), the sleeping thread wakes on cpu1 and loads the page.
                MmId mm = sim.MmOf(facts.Unmapper).Id;
                sim.Start(facts.Unmapper, 0, new SyscallOp(new MunmapCall(facts.Far, Page)));
                Assert.Equal(RunOutcome.ConditionMet, sim.System.RunUntil(() => Cpu(sim.Machine, 1).LocalTlbGen(mm) == 2));
                Task<UserResult> load = sim.Start(facts.Reader, 1, new AccessOp(facts.Address, false, 0));
                sim.System.Run();
                if (!broken)
                {
                    Assert.True(sim.System.Violation is null, $"seed {seed}: {sim.System.Violation?.Message}");
                    Assert.True(SimMachine.Completed(load).Segv);
                    AssertMirrorExact(sim.Machine, observer);
                    sim.AssertTlbCoherent();
                    continue;
                }

                Violation v = Assert.IsType<Violation>(sim.System.Violation);
                Assert.Same(observer.Report, v);
                Assert.Equal(TlbCoherenceObserver.StaleTlbKind, v.Kind);
                AssertReport(
                    v.Message,
                    "==================================================================",
                    $"BUG: stale TLB entry used: 'cpu1 pid 2 load (tlb hit)' at step {{n}} read mm1 {facts.Address} through cpu1's TLB",
                    $"cached: cpu1 mm1 {facts.Address} -> pfn {facts.Pfn} (writable), filled at step {{n}} by pid 2; live",
                    $"PTE changed: 'cpu0 pid 1 zap_pte_range' at step {{n}} wrote mm1 {facts.Address}: {facts.Pte} -> pte 0x0 none (at tlb_gen 0)",
                    $"flushed by: shootdown to tlb_gen 1 of mm1 over [{facts.Address}, {facts.Address + Page}), cpu0 locally and no other CPU by IPI, completed 'cpu0 pid 1 flush_tlb_mm_range' at step {{n}}; cpu1 was not flushed (lazy or not in mm_cpumask then) and is at tlb_gen 2 of mm1 now",
                    "PTE now: pte 0x0 none",
                    "==================================================================");
            }
        }
    }

    [Fact]
    public void AKernelPathReadingAFreedFrameGetsAReportWithTheFramesHistory()
    {
        StalePfnReadCall.Install();
        using var sim = new SimMachine(2, seed: 1, frames: 64);
        TlbCoherenceObserver observer = TlbCoherenceObserver.Attach(sim.System, sim.Machine);
        LazyFacts facts = LeaveCpu1LazyWithAnUnmappedPage(sim);
        sim.Start(facts.Unmapper, 0, new SyscallOp(new StalePfnReadCall(facts.Pfn)));
        sim.System.Run();

        Violation v = Assert.IsType<Violation>(sim.System.Violation);
        Assert.Same(observer.Report, v);
        Assert.Equal(TlbCoherenceObserver.UseAfterFreeKind, v.Kind);
        AssertReport(
            v.Message,
            "==================================================================",
            $"BUG: KASAN: use-after-free of pfn {facts.Pfn}",
            $"Read of pfn {facts.Pfn} by 'cpu0 pid 1 stale_pfn_read' at step {{n}}",
            $"mapped by: mm1 {facts.Address}: {facts.Pte}, written by 'cpu0 pid 1 do_anonymous_page set_pte_at' at step {{n}}",
            $"unmapped by: mm1 {facts.Address}: 'cpu0 pid 1 zap_pte_range' at step {{n}} wrote pte 0x0 none",
            "freed by: 'cpu0 pid 1 tlb_finish_mmu' at step {n}",
            $"translated by: cpu1 mm1 {facts.Address} -> pfn {facts.Pfn} (writable), filled at step {{n}} by pid 2; dead: cpu1 missed tlb_gen 1 and flushes mm1 before using it again; PTE changed by 'cpu0 pid 1 zap_pte_range' at step {{n}} at tlb_gen 0; flushed by the shootdown to tlb_gen 1",
            $"frame: pfn {facts.Pfn}: Free, refcount 0, mapcount 0, generation 1; last allocated by 'cpu0 pid 1 do_anonymous_page' at step {{n}}; last freed by 'cpu0 pid 1 tlb_finish_mmu' at step {{n}}",
            "==================================================================");
    }

    [Fact]
    public void TheCorrectFlushLeavesTheLazyCpuCoherent()
    {
        using var sim = new SimMachine(2, seed: 1, frames: 64);
        TlbCoherenceObserver observer = TlbCoherenceObserver.Attach(sim.System, sim.Machine);
        LazyFacts facts = LeaveCpu1LazyWithAnUnmappedPage(sim);
        Assert.True(sim.TlbHas(1, sim.MmOf(facts.Reader).Id, facts.Address)); // dead: cpu1 missed tlb_gen 1
        Assert.Equal(0, sim.Sys(facts.Unmapper, 0, new MunmapCall(facts.Far, Page)));
        Assert.False(sim.TlbHas(1, sim.MmOf(facts.Reader).Id, facts.Address)); // two generations behind: flushed whole
        Assert.True(sim.Access(facts.Reader, 1, facts.Address, write: false).Segv);
        AssertMirrorExact(sim.Machine, observer);
        Assert.Null(observer.Report);
    }

    [Fact]
    public void TheMirrorStaysExactOnTheThreadedSchedulerThroughFaultsHitsAndEvictions()
    {
        using var workload = ShadowPt.Benchmarking.ModelWorkload.CreateThreaded(new ShadowPt.Benchmarking.ModelShape(Cpus: 4, Processes: 8, PagesPerProcess: 48, TlbEntries: 16));
        TlbCoherenceObserver observer = TlbCoherenceObserver.Attach(workload.Machine.System, workload.Machine);
        workload.Map();
        Assert.Equal(8 * 48, workload.Touch());
        Assert.Equal(8 * 32 * 3, workload.Loop(32, 3));
        Assert.Null(observer.Report);
        AssertMirrorExact(workload.Machine, observer);
        Assert.Equal(4 * 16, observer.Mirror.TranslationCount); // every TLB full: evictions were mirrored too
    }

    /// <summary>What the lazy-CPU setup leaves: the tasks, the unmapped page and its old frame and PTE, the far page still mapped.</summary>
    private sealed record LazyFacts(int Unmapper, int Reader, VirtAddr Address, Pfn Pfn, Pte Pte, VirtAddr Far);

    /// <summary>What the munmap race unmapped.</summary>
    private sealed record RaceFacts(VirtAddr Address, Pfn Pfn, Pte Pte);

    /// <summary>
    /// Two threads of one mm: cpu1 caches page A, then its thread sleeps (cpu1 goes lazy, keeping the
    /// mm). Thread 1 on cpu0 unmaps A; no page table is freed (A's neighbour stays), so the shootdown
    /// skips lazy cpu1, whose entry for A is dead: it is behind by a generation.
    /// </summary>
    private static LazyFacts LeaveCpu1LazyWithAnUnmappedPage(SimMachine sim)
    {
        int unmapper = sim.Spawn("lazy");
        sim.CatchSigsegv(unmapper, 0);
        int reader = sim.SpawnThread(unmapper);
        VirtAddr a = sim.Mmap(unmapper, 0, 2); // two pages: unmapping the first frees no page table
        VirtAddr far = sim.Mmap(unmapper, 0, 1, addr: FarAway.Value);
        Assert.Equal(FarAway, far);
        sim.Write(unmapper, 0, a, 1);
        sim.Write(unmapper, 0, a + Page, 2);
        sim.Write(unmapper, 0, far, 3);
        Assert.Equal(1, sim.Read(reader, 1, a));
        sim.Sleep(reader, 1);
        Pte pte = sim.PteOf(unmapper, a);
        Assert.Equal(0, sim.Sys(unmapper, 0, new MunmapCall(a, Page)));
        Assert.False(sim.State.Frames.IsAllocated(pte.Pfn));
        return new LazyFacts(unmapper, reader, a, pte.Pfn, pte, far);
    }

    /// <summary>
    /// munmap on cpu0 while a second thread reads the same page in a loop on cpu1 (after caching it), with
    /// the checker on. Returns the violation, the checker and what was unmapped.
    /// </summary>
    private static (Violation? Violation, TlbCoherenceObserver Observer, RaceFacts Facts) MunmapRace(int cpus, ulong seed, string[] variants)
    {
        using var sim = new SimMachine(cpus, seed, frames: 64, variants: variants);
        TlbCoherenceObserver observer = TlbCoherenceObserver.Attach(sim.System, sim.Machine);
        int unmapper = sim.Spawn("race");
        sim.CatchSigsegv(unmapper, 0);
        int reader = sim.SpawnThread(unmapper);
        VirtAddr x = sim.Mmap(unmapper, 0, 1);
        sim.Write(unmapper, 0, x, 0x5a);
        Pte pte = sim.PteOf(unmapper, x);
        Assert.Equal(0x5a, sim.Read(reader, 1, x));
        sim.System.ActorOf(Props.Create(() => new Reader(sim.Machine.Cpus[1], reader, x)), "reader").Tell("go");
        sim.Start(unmapper, 0, new SyscallOp(new MunmapCall(x, Page)));
        sim.System.Run();
        if (sim.System.Violation is null)
        {
            AssertMirrorExact(sim.Machine, observer);
        }

        return (sim.System.Violation, observer, new RaceFacts(x, pte.Pfn, pte));
    }

    /// <summary>Reads a page on its CPU until the read faults.</summary>
    private sealed class Reader : ReceiveActor
    {
        /// <summary>Reads at most.</summary>
        private const int ReadsMax = 1000;

        public Reader(IActorRef cpu, int pid, VirtAddr address)
        {
            ReceiveAsync<string>(async _ =>
            {
                for (int i = 0; i < ReadsMax; i++)
                {
                    UserResult r = await Context.Ask<UserResult>(cpu, new UserRequest(pid, new AccessOp(address, false, 0)));
                    if (r.Segv || r.Killed)
                    {
                        return;
                    }
                }
            });
        }
    }
}
