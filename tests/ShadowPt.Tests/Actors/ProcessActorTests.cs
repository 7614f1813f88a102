using ShadowPt.Actors;
using ShadowPt.Kernel;
using ShadowPt.Kernel.Programs;
using ShadowPt.Runtime;
using ShadowPt.Runtime.Actors;
using ShadowPt.Runtime.Recording;
using ShadowPt.Runtime.Strategies;
using ShadowPt.Tests.TestKit;

namespace ShadowPt.Tests.Actors;

/// <summary>
/// Process actors running a multi-process program concurrently (forks, COW, shmem, munmap, mprotect,
/// madvise, think time that lets CPUs go lazy): every frame comes back, and a run is a function of
/// its seed, replayable from its schedule.
/// </summary>
public sealed class ProcessActorTests
{
    /// <summary>Seeds the workload runs on.</summary>
    private const int SeedCount = 12;

    public static TheoryData<int> CpuCounts() => new(1, 2, 4);

    [Theory]
    [MemberData(nameof(CpuCounts))]
    public void EveryFrameIsFreeAgainWhenAllProcessesHaveExited(int cpus)
    {
        for (ulong seed = 1; seed <= SeedCount; seed++)
        {
            using var sim = new SimMachine(cpus, seed, frames: 256);
            WorkloadResult result = RunWorkload(sim);

            Assert.Equal(3, result.Exited.Count);
            Assert.Equal(3, sim.State.Tasks.Count());
            Assert.All(sim.State.Tasks, t => Assert.True(t.Exited, $"seed {seed}: {t} did not exit"));
            Assert.All(sim.State.Tasks.Where(t => t.Pid != result.RootPid), t => Assert.Equal(0, t.ExitCode));
            sim.AssertAllFreed();
        }
    }

    [Theory]
    [MemberData(nameof(CpuCounts))]
    public void TheSameSeedGivesTheSameTraceAndDifferentSeedsDiffer(int cpus)
    {
        var hashes = new HashSet<string>(StringComparer.Ordinal);
        for (ulong seed = 1; seed <= SeedCount; seed++)
        {
            string first = TraceOf(cpus, seed);
            Assert.Equal(first, TraceOf(cpus, seed));
            hashes.Add(first);
        }

        Assert.True(hashes.Count > SeedCount / 2, $"only {hashes.Count} distinct traces over {SeedCount} seeds");
    }

    [Theory]
    [MemberData(nameof(CpuCounts))]
    public void ReplayOfACapturedScheduleReproducesTheTrace(int cpus)
    {
        for (ulong seed = 1; seed <= 4; seed++)
        {
            Schedule schedule;
            string trace;
            using (var sim = new SimMachine(cpus, seed, frames: 256))
            {
                RunWorkload(sim);
                trace = sim.System.TraceHash;
                schedule = sim.System.CaptureSchedule("process-workload", null, seed);
            }

            using var replay = new SimMachine(cpus, seed, frames: 256, strategy: new ReplayStrategy(schedule));
            RunWorkload(replay);
            replay.System.EndRun(); // the replay used its whole schedule

            Assert.Equal(trace, replay.System.TraceHash);
        }
    }

    /// <summary>Three processes sharing pages through fork and shmem, with think time between steps.</summary>
    private static ProcessProgram Workload()
    {
        const Prot rw = Prot.Read | Prot.Write;
        return new ProgramBuilder("actor-workload", "forks, COW, shmem, unmap, protect and advise, concurrently")
            .Mmap("a", 4).Mmap("s", 2, rw, MapFlags.Shared | MapFlags.Anonymous)
            .Write("a", 0, 0x01).Write("a", 1, 0x02).Write("a", 3, 0x04).Write("s", 0, 0x05)
            .Fork(out ProcessId c1)
            .Think(3).Write("a", 0, 0x11, by: c1).Read("s", 0, by: c1).Write("s", 1, 0x12, by: c1)
            .Think(2).Munmap("a", 1, 1)
            .Mprotect("a", 2, 1, Prot.Read, by: c1).Read("a", 2, by: c1)
            .Fork(out ProcessId c2)
            .Write("a", 0, 0x21, by: c2).Think(4).MadviseDontneed("a", 3, 1, by: c2).Read("a", 3, by: c2)
            .Write("a", 3, 0x24).Think(1).Read("s", 1, by: c2).Mmap("b", 1, by: c2).Write("b", 0, 0x25, by: c2)
            .Write("a", 2, 0x26).Read("a", 0, by: c1)
            .Exit(c1).Think(2).Exit(c2)
            .Read("a", 0)
            .Build();
    }

    private static string TraceOf(int cpus, ulong seed)
    {
        using var sim = new SimMachine(cpus, seed, frames: 256);
        RunWorkload(sim);
        return sim.System.TraceHash;
    }

    /// <summary>Runs the workload's processes to their ends, then exits the root (a program's root ends with it).</summary>
    private static WorkloadResult RunWorkload(SimMachine sim)
    {
        int rootPid = sim.Spawn("workload");
        int rootCpu = sim.Cpus - 1;
        var result = new WorkloadResult(rootPid);
        ProcessProgram program = Workload();
        sim.System.ActorOf(Props.Create(() => new Parent(sim.Machine, program, rootPid, rootCpu, result)), "parent");
        sim.RunQuiescent();
        Assert.Equal(3, result.Exited.Count);
        sim.Exit(rootPid, rootCpu);
        return result;
    }

    private sealed record WorkloadResult(int RootPid)
    {
        public List<ProcessExited> Exited { get; } = new();
    }

    /// <summary>Starts the root process actor and collects every process's end.</summary>
    private sealed class Parent : ReceiveActor
    {
        public Parent(Machine machine, ProcessProgram program, int rootPid, int rootCpu, WorkloadResult result)
        {
            IActorRef root = Context.ActorOf(
                Props.Create(() => new ProcessActor(machine, program, ProcessId.Root, rootPid, rootCpu, new Dictionary<string, VirtAddr>())),
                "p0");
            root.Tell(ProcessActor.Start.Instance, Self);
            Receive<ProcessExited>(exited => result.Exited.Add(exited));
        }
    }
}
