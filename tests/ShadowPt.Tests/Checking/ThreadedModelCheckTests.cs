using ShadowPt.Checking;
using ShadowPt.Kernel;
using ShadowPt.Runtime;
using ShadowPt.Runtime.Actors;
using ShadowPt.Tests.TestKit;

namespace ShadowPt.Tests.Checking;

/// <summary>
/// The race detector and the TLB-shootdown monitor on threads of one mm running on several CPUs at
/// once (mapping, faulting, protecting, dropping and unmapping the same pages, with TLB shootdowns
/// between them): the correct model never races on a PTE and every shootdown completes.
/// </summary>
public sealed class ThreadedModelCheckTests
{
    private const ulong Page = SimMachine.Page;

    private const ulong Base = 0x7f00001fe000;

    private const int Pages = 6;

    private const int OpsPerThread = 16;

    [Fact]
    public void ThreadsOnThreeCpusNeitherRaceOnAPteNorLeaveAShootdownUnfinished()
    {
        int shootdowns = 0;
        long ptesChecked = 0;
        for (ulong seed = 1; seed <= 80; seed++)
        {
            using var sim = new SimMachine(3, seed, frames: 128);
            var races = new RaceDetector(sim.System, sim.State, sim.Machine.Events);
            var tlb = new TlbShootdownMonitor();
            var phases = new IpiPhases();
            var monitors = new SpecMonitors(sim.System, sim.Machine.Events, [tlb, phases]);
            int leader = sim.Spawn("threads");
            sim.CatchSigsegv(leader, 0);
            int[] pids = [leader, sim.SpawnThread(leader), sim.SpawnThread(leader)];
            sim.Mmap(leader, 0, Pages, addr: Base, flags: MapFlags.Private | MapFlags.Anonymous | MapFlags.Fixed);
            var script = new Random((int)seed); // the scripts come from the seed; the interleaving from the strategy
            for (int t = 0; t < pids.Length; t++)
            {
                UserOp[] ops = Enumerable.Range(0, OpsPerThread).Select(_ => RandomOp(script)).ToArray();
                IActorRef cpu = sim.Machine.Cpus[t];
                int pid = pids[t];
                sim.System.ActorOf(Props.Create(() => new Thread(cpu, pid, ops)), $"t{t}");
            }

            sim.RunQuiescent();
            Assert.Null(monitors.AtEnd());
            Assert.Equal("Idle", tlb.CurrentState.Name);
            shootdowns += tlb.Transitions > 0 ? 1 : 0;
            Assert.True(phases.Counts.Distinct().Count() == 1, $"seed {seed}: IPIs sent, taken, acknowledged and received back: {string.Join(", ", phases.Counts)}");
            ptesChecked += races.AccessesChecked;
        }

        Assert.True(shootdowns > 10, $"only {shootdowns} runs made a shootdown");
        Assert.True(ptesChecked > 500, $"only {ptesChecked} PTE stores checked");
    }

    private static UserOp RandomOp(Random r)
    {
        var page = new VirtAddr(Base + ((ulong)r.Next(Pages) * Page));
        ulong span = (ulong)r.Next(1, 3) * Page;
        return r.Next(12) switch
        {
            < 3 => new AccessOp(page + (ulong)r.Next(64), false, 0),
            < 7 => new AccessOp(page + (ulong)r.Next(64), true, (byte)r.Next(1, 256)),
            7 => new SyscallOp(new MunmapCall(page, span)),
            8 => new SyscallOp(new MmapCall(page, span, Prot.Read | Prot.Write, MapFlags.Private | MapFlags.Anonymous | MapFlags.Fixed)),
            9 => new SyscallOp(new MprotectCall(page, span, Prot.Read)),
            10 => new SyscallOp(new MprotectCall(page, span, Prot.Read | Prot.Write)),
            _ => new SyscallOp(new MadviseDontneedCall(page, span)),
        };
    }

    /// <summary>Counts the IPI events by phase: every one sent must be taken, acknowledged and received back, each seen by the right CPU.</summary>
    private sealed class IpiPhases : SpecMonitor
    {
        public IpiPhases()
            : base("ipi-phases")
        {
            MonitorState counting = Cold("Counting");
            counting.On<TlbShootdownIpi>(e => Counts[(int)e.Phase]++);
            Start(counting);
        }

        public int[] Counts { get; } = new int[4];
    }

    /// <summary>One thread: its operations on its CPU, in order (a SIGSEGV on an unmapped page is fine).</summary>
    private sealed class Thread : ReceiveActor
    {
        public Thread(IActorRef cpu, int pid, UserOp[] ops)
        {
            ReceiveAsync<Start>(async _ =>
            {
                foreach (UserOp op in ops)
                {
                    await Context.Ask<UserResult>(cpu, new UserRequest(pid, op));
                }
            });
            Self.Tell(Start.Instance, Self);
        }

        private sealed class Start
        {
            public static Start Instance { get; } = new();
        }
    }
}
