using ShadowPt.Kernel;
using ShadowPt.Runtime.Actors;
using ShadowPt.Tests.TestKit;

namespace ShadowPt.Tests.Kernel.Smp;

/// <summary>
/// Threads of one process on different CPUs mapping, touching, protecting, advising and unmapping the
/// same few pages at once (and growing the stack), under many seeds, with forked children running
/// too: no run may read a freed frame, break a lock or refcount rule, or leave a CPU that believes it
/// is up to date with a stale translation; and once everyone exited every frame is free.
/// </summary>
public sealed class ConcurrentThreadsTests
{
    private const ulong Page = SimMachine.Page;

    /// <summary>Eight pages over two PTE pages (the last two pages of one table, six of the next).</summary>
    private const ulong Base = 0x7f00001fe000;

    private const int Pages = 8;

    /// <summary>The start of the initial stack: accesses just below it grow the stack.</summary>
    private const ulong StackStart = 0x7ffffffff000 - (33 * Page);

    private const int SeedCount = 300;

    /// <summary>Operations per thread script.</summary>
    private const int OpsPerThread = 24;

    public static TheoryData<int> ThreadCounts() => new(2, 3);

    [Theory]
    [MemberData(nameof(ThreadCounts))]
    public void ThreadsRacingOnTheSamePagesKeepEveryInvariant(int threads)
    {
        for (ulong seed = 1; seed <= SeedCount; seed++)
        {
            using var sim = new SimMachine(threads + 1, seed, frames: 128);
            int leader = sim.Spawn("threads");
            sim.CatchSigsegv(leader, 0);
            var pids = new List<int> { leader };
            for (int t = 1; t < threads; t++)
            {
                pids.Add(sim.SpawnThread(leader));
            }

            sim.Mmap(leader, 0, Pages, addr: Base, flags: MapFlags.Private | MapFlags.Anonymous | MapFlags.Fixed);
            var script = new Random((int)seed); // the scripts come from the seed; the interleaving from the strategy
            var done = new List<int>();
            for (int t = 0; t < threads; t++)
            {
                UserOp[] ops = Enumerable.Range(0, OpsPerThread).Select(_ => RandomOp(script)).ToArray();
                UserOp[] childOps = Enumerable.Range(0, 6).Select(_ => RandomOp(script)).Where(op => op is not SyscallOp { Call: ForkCall })
                    .Append(new SyscallOp(new ExitCall(0))).ToArray();
                int pid = pids[t];
                int cpu = t;
                IActorRef childCpu = sim.Machine.Cpus[threads];
                sim.System.ActorOf(Props.Create(() => new ScriptedThread(sim.Machine.Cpus[cpu], pid, ops, done, childCpu, childOps)), $"t{t}");
            }

            sim.RunQuiescent();
            Assert.Equal(threads + sim.State.Tasks.Count(c => c.ParentPid == leader || pids.Contains(c.ParentPid)), done.Count);
            sim.AssertTlbCoherent();
            sim.AssertNoLocksHeld();

            for (int t = 0; t < threads; t++)
            {
                sim.Exit(pids[t], t);
            }

            foreach (TaskStruct child in sim.State.Tasks.Where(c => !c.Exited).ToArray())
            {
                sim.Exit(child.Pid, threads);
            }

            sim.AssertAllFreed();
        }
    }

    private static UserOp RandomOp(Random r)
    {
        var page = new VirtAddr(Base + ((ulong)r.Next(Pages) * Page));
        ulong span = (ulong)r.Next(1, 3) * Page;
        return r.Next(16) switch
        {
            < 5 => new AccessOp(page + (ulong)r.Next(64), false, 0),
            < 8 => new AccessOp(page + (ulong)r.Next(64), true, (byte)r.Next(1, 256)),
            8 => new SleepOp(),
            9 => new SyscallOp(new MunmapCall(page, span)),
            10 => new SyscallOp(new MmapCall(page, span, Prot.Read | Prot.Write, MapFlags.Private | MapFlags.Anonymous | MapFlags.Fixed)),
            11 => new SyscallOp(new MprotectCall(page, span, Prot.Read)),
            12 => new SyscallOp(new MprotectCall(page, span, Prot.Read | Prot.Write)),
            13 => new SyscallOp(new MadviseDontneedCall(page, span)),
            14 => new SyscallOp(new MlockCall(page, span, Lock: true)),
            _ => r.Next(2) == 0 ? new SyscallOp(new ForkCall()) : new AccessOp(new VirtAddr(StackStart - ((ulong)r.Next(0, 4) * Page) + 8), r.Next(2) == 0, 7),
        };
    }

    /// <summary>
    /// One thread: runs its operations on its CPU in order. The child of a fork runs the child script
    /// on the spare CPU at the same time (children take turns there, as tasks do), and exits.
    /// </summary>
    private sealed class ScriptedThread : ReceiveActor
    {
        public ScriptedThread(IActorRef cpu, int pid, UserOp[] ops, List<int> done, IActorRef? childCpu = null, UserOp[]? childOps = null)
        {
            ReceiveAsync<Start>(async _ =>
            {
                foreach (UserOp op in ops)
                {
                    UserResult r = await Context.Ask<UserResult>(cpu, new UserRequest(pid, op));
                    Assert.False(r.Killed && op is not SyscallOp { Call: ExitCall }, $"pid {pid}: {op} killed the task");
                    if (op is SyscallOp { Call: ForkCall } && r.Ret > 0 && childCpu is not null && childOps is not null)
                    {
                        int child = (int)r.Ret;
                        Context.ActorOf(Props.Create(() => new ScriptedThread(childCpu, child, childOps, done, null, null)), $"child{child}");
                    }
                }

                done.Add(pid);
            });
            Self.Tell(Start.Instance, Self);
        }

        private sealed class Start
        {
            public static Start Instance { get; } = new();
        }
    }
}
