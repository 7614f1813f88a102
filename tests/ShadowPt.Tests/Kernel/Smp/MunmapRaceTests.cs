using ShadowPt.Kernel;
using ShadowPt.Runtime;
using ShadowPt.Runtime.Actors;
using ShadowPt.Runtime.Recording;
using ShadowPt.Runtime.Strategies;
using ShadowPt.Tests.TestKit;

namespace ShadowPt.Tests.Kernel.Smp;

/// <summary>
/// munmap on one CPU while another CPU keeps reading the same page. The reader and the unmapper are
/// two threads of one process (two tasks sharing the mm), so the reader's CPU is in mm_cpumask and
/// not lazy, and its TLB really may hold the translation the munmap removes. The reader's stale
/// entry may serve reads until its CPU takes the flush IPI; the page may be freed only after that.
/// </summary>
public sealed class MunmapRaceTests
{
    private const ulong Page = SimMachine.Page;

    /// <summary>Seeds each property is checked on.</summary>
    private const int SeedCount = 200;

    /// <summary>Reads the reader makes at most (it stops at its first SIGSEGV).</summary>
    private const int ReadsMax = 10_000;

    private const byte Value = 0x5a;

    public static TheoryData<int> CpuCounts() => new(2, 4);

    [Theory]
    [MemberData(nameof(CpuCounts))]
    public void ReaderSeesTheValueUntilTheShootdownAndFaultsAfterItAndNeverReadsAFreedFrame(int cpus)
    {
        int racedSeeds = 0;
        for (ulong seed = 1; seed <= SeedCount; seed++)
        {
            RaceLog log = RunRace(cpus, seed, variants: []);

            Assert.True(log.Violation is null, $"seed {seed}: {log.Violation?.Kind}: {log.Violation?.Message}");
            Assert.Equal(0, log.MunmapRet);
            Assert.True(log.MunmapReturned, $"seed {seed}: munmap did not return");
            (bool sentAfterMunmap, UserResult result) = log.Reads[^1];
            Assert.True(result.Segv && !result.Killed, $"seed {seed}: the reader never faulted");
            foreach ((bool after, UserResult r) in log.Reads)
            {
                Assert.False(after && !r.Segv, $"seed {seed}: a read issued after munmap returned did not fault");
                Assert.True(r.Segv || r.Value == Value, $"seed {seed}: a read returned {r.Value}");
            }

            Assert.False(log.FrameAllocatedAtEnd, $"seed {seed}: the unmapped page was not freed");
            racedSeeds += log.Reads.Count(r => !r.Result.Segv) > 1 && !sentAfterMunmap ? 1 : 0;
        }

        // The property is not vacuous: in many runs the reader kept reading through its TLB while
        // the munmap ran, and faulted without being told that the munmap had returned.
        Assert.True(racedSeeds > SeedCount / 2, $"only {racedSeeds} of {SeedCount} seeds raced");
    }

    [Fact]
    public void FreeingBeforeTheShootdownLetsTheReaderReadAFreedFrame()
    {
        // The same scenario with the mmu_gather rule broken: some seed must catch the reader's CPU
        // using its stale translation after the frame went back to the allocator.
        var useAfterFree = new List<ulong>();
        for (ulong seed = 1; seed <= SeedCount; seed++)
        {
            RaceLog log = RunRace(2, seed, variants: [ShadowPt.Kernel.Syscalls.FreeBeforeShootdownVariant]);
            if (log.Violation is { } v)
            {
                Assert.Equal("use-after-free", v.Kind);
                FrameStateException e = Assert.IsType<FrameStateException>(v.Exception);
                Assert.Equal(FrameFault.UseAfterFree, e.Fault);
                Assert.Contains("user load", e.Message, StringComparison.Ordinal);
                Assert.Contains("last freed by 'cpu0 pid 1 tlb_finish_mmu'", e.Message, StringComparison.Ordinal);
                useAfterFree.Add(seed);
            }
        }

        Assert.True(useAfterFree.Count > SeedCount / 4, $"only {useAfterFree.Count} of {SeedCount} seeds read a freed frame with the flush after the free");

        // The failure replays from its schedule, to the same violation at the same step.
        RaceLog first = RunRace(2, useAfterFree[0], variants: [ShadowPt.Kernel.Syscalls.FreeBeforeShootdownVariant]);
        RaceLog replayed = RunRace(2, useAfterFree[0], [ShadowPt.Kernel.Syscalls.FreeBeforeShootdownVariant], new ReplayStrategy(first.Schedule!));
        Assert.Equal(first.Violation!.Step, replayed.Violation!.Step);
        Assert.Equal(first.Violation.Message, replayed.Violation.Message);
        Assert.Equal(first.TraceHash, replayed.TraceHash);
    }

    /// <summary>
    /// Maps a page and writes it on cpu0 (thread 1), reads it once on cpu1 (thread 2, filling its
    /// TLB), then lets thread 2 read in a loop on cpu1 while thread 1 unmaps the page on cpu0.
    /// </summary>
    private static RaceLog RunRace(int cpus, ulong seed, string[] variants, SchedulingStrategy? strategy = null)
    {
        using var sim = new SimMachine(cpus, seed, frames: 64, variants: variants, strategy: strategy);
        int unmapper = sim.Spawn("race");
        sim.CatchSigsegv(unmapper, 0);
        int reader = sim.SpawnThread(unmapper);
        VirtAddr x = sim.Mmap(unmapper, 0, 1);
        sim.Write(unmapper, 0, x, Value);
        Pfn frame = sim.PteOf(unmapper, x).Pfn;
        Assert.Equal(Value, sim.Read(reader, 1, x));
        Assert.True(sim.TlbHas(1, sim.MmOf(reader).Id, x));

        var log = new RaceLog();
        IActorRef readerActor = sim.System.ActorOf(Props.Create(() => new Reader(sim.Machine.Cpus[1], reader, x, log)), "reader");
        IActorRef unmapActor = sim.System.ActorOf(Props.Create(() => new Unmapper(sim.Machine.Cpus[0], unmapper, x, log)), "unmapper");
        readerActor.Tell("go");
        unmapActor.Tell("go");
        sim.System.Run();
        log.Violation = sim.System.Violation;
        log.Schedule = sim.System.CaptureSchedule("munmap-race", null, seed);
        log.TraceHash = sim.System.TraceHash;
        log.FrameAllocatedAtEnd = log.Violation is null && sim.State.Frames.IsAllocated(frame);
        if (log.Violation is null)
        {
            sim.AssertTlbCoherent();
            sim.AssertNoLocksHeld();
        }

        return log;
    }

    /// <summary>What one run saw, written by the actors (the deterministic system runs them on the test's thread).</summary>
    private sealed class RaceLog
    {
        public bool MunmapReturned { get; set; }

        public long MunmapRet { get; set; } = long.MinValue;

        /// <summary>Each read: whether it was issued after munmap had returned, and its result.</summary>
        public List<(bool SentAfterMunmap, UserResult Result)> Reads { get; } = new();

        public Violation? Violation { get; set; }

        public bool FrameAllocatedAtEnd { get; set; }

        public Schedule? Schedule { get; set; }

        public string TraceHash { get; set; } = string.Empty;
    }

    /// <summary>Thread 2: reads the page on its CPU until it gets a SIGSEGV.</summary>
    private sealed class Reader : ReceiveActor
    {
        public Reader(IActorRef cpu, int pid, VirtAddr address, RaceLog log)
        {
            ReceiveAsync<string>(async _ =>
            {
                for (int i = 0; i < ReadsMax; i++)
                {
                    bool after = log.MunmapReturned;
                    UserResult r = await Context.Ask<UserResult>(cpu, new UserRequest(pid, new AccessOp(address, false, 0)));
                    log.Reads.Add((after, r));
                    if (r.Segv || r.Killed)
                    {
                        return;
                    }
                }
            });
        }
    }

    /// <summary>Thread 1: unmaps the page on its CPU.</summary>
    private sealed class Unmapper : ReceiveActor
    {
        public Unmapper(IActorRef cpu, int pid, VirtAddr address, RaceLog log)
        {
            ReceiveAsync<string>(async _ =>
            {
                UserResult r = await Context.Ask<UserResult>(cpu, new UserRequest(pid, new SyscallOp(new MunmapCall(address, Page))));
                log.MunmapRet = r.Ret;
                log.MunmapReturned = true;
            });
        }
    }
}
