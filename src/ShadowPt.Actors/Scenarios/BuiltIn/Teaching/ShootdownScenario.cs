using ShadowPt.Actors;
using ShadowPt.Checking;
using ShadowPt.Kernel;
using ShadowPt.Runtime;
using ShadowPt.Runtime.Actors;

namespace ShadowPt.Scenarios.BuiltIn.Teaching;

/// <summary>
/// A TLB shootdown, for teaching: two threads of one process, the unmapper on CPU0 and a reader on
/// CPU1 whose TLB caches a page. The unmapper munmaps the page while the reader keeps reading it:
/// zap the PTE, flush the local TLB, send the flush IPI to CPU1, wait for its acknowledgement, and only
/// then free the page (the mmu_gather rule). Reads in between use the old translation (the allowed
/// window). With <paramref name="noWait"/> the model frees the page before the shootdown (the
/// <c>free-before-shootdown</c> variant): CPU1 can still read the freed frame through its stale TLB
/// entry, and the TLB checker reports it.
/// </summary>
/// <remarks>mm/mmu_gather.c tlb_finish_mmu, arch/x86/mm/tlb.c flush_tlb_mm_range and flush_tlb_func.</remarks>
public sealed class ShootdownScenario(string name, bool noWait) : Scenario, IMachineScenario
{
    /// <summary>Where the page is mapped.</summary>
    public static readonly VirtAddr Page = new(0x40000000);

    /// <summary>Most reads the reader makes before it gives up (it stops at the first SIGSEGV).</summary>
    public const int ReadsMax = 4;

    private HashSet<string> _checks = new([TlbCoherenceObserver.CheckName, "deadlock", "lockdep"], StringComparer.Ordinal);

    public override string Name => name;

    public override string Summary => noWait
        ? "a TLB shootdown that frees the page before the IPI is acknowledged (free-before-shootdown): cpu1 still reads the freed page through its stale TLB entry"
        : "a TLB shootdown: cpu0 munmaps a page cpu1 is reading; the flush IPI is acknowledged before the page is freed";

    public override IReadOnlySet<string> Checks => _checks;

    public Machine? Machine { get; private set; }

    public override void SelectChecks(IReadOnlySet<string> checks)
    {
        ArgumentNullException.ThrowIfNull(checks);
        _checks = new HashSet<string>(checks, StringComparer.Ordinal);
    }

    public override void Setup(ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        var variants = new HashSet<string>(noWait ? [Kernel.Syscalls.FreeBeforeShootdownVariant] : [], StringComparer.Ordinal);
        Machine machine = Actors.Machine.Boot(system, new MachineConfig { Cpus = 2, Frames = 64, Variants = variants });
        Machine = machine;
        MachineCheckers.Attach(system, machine, _checks);

        int unmapper = machine.CreateProcess("unmapper");
        TaskStruct leader = machine.State.Task(unmapper);
        leader.HasSigsegvHandler = true;
        TaskStruct thread = machine.State.NewTask("reader", leader.ParentPid, leader.Superuser);
        thread.Mm = leader.Mm;
        thread.HasSigsegvHandler = true;
        leader.Mm!.MmUsers++;
        IActorRef reader = system.ActorOf(Props.Create(() => new Reader(machine.Cpus[1], thread.Pid)), "reader");
        IActorRef main = system.ActorOf(Props.Create(() => new Unmapper(machine.Cpus, unmapper, thread.Pid, reader)), "unmapper");
        main.Tell(ProcessActor.Start.Instance, null);
    }

    /// <summary>The unmapper thread: maps and writes the page, lets the reader fault it in, then unmaps it while the reader reads.</summary>
    private sealed class Unmapper : ReceiveActor
    {
        public Unmapper(IReadOnlyList<IActorRef> cpus, int pid, int readerPid, IActorRef reader)
        {
            ReceiveAsync<ProcessActor.Start>(async _ =>
            {
                var rw = Prot.Read | Prot.Write;
                UserResult mapped = await Context.Ask<UserResult>(cpus[0], new UserRequest(pid, new SyscallOp(new MmapCall(Page, PageGeometry.PageSize, rw, MapFlags.Private | MapFlags.Anonymous | MapFlags.Fixed))));
                Bug.On(mapped.Ret != (long)Page.Value, $"mmap returned {mapped.Ret}");
                await Context.Ask<UserResult>(cpus[0], new UserRequest(pid, new AccessOp(Page, true, 0x5a)));
                await Context.Ask<UserResult>(cpus[1], new UserRequest(readerPid, new AccessOp(Page, false, 0))); // cpu1's TLB caches the page
                reader.Tell(ProcessActor.Start.Instance, Self);
                await Context.Ask<UserResult>(cpus[0], new UserRequest(pid, new SyscallOp(new MunmapCall(Page, PageGeometry.PageSize))));
            });
        }
    }

    /// <summary>The reader thread: reads the page on CPU1 until a read faults (the page is gone) or <see cref="ReadsMax"/> reads.</summary>
    private sealed class Reader : ReceiveActor
    {
        public Reader(IActorRef cpu, int pid)
        {
            ReceiveAsync<ProcessActor.Start>(async _ =>
            {
                for (int i = 0; i < ReadsMax; i++)
                {
                    UserResult r = await Context.Ask<UserResult>(cpu, new UserRequest(pid, new AccessOp(Page, false, 0)));
                    if (r.Segv || r.Killed)
                    {
                        return;
                    }
                }
            });
        }
    }

    /// <summary>
    /// For DPOR: the kernel paths here reach the machine's shared kernel state and its checkers
    /// synchronously, so every actor of this scenario is treated as one group (all deliveries dependent).
    /// </summary>
    public override string? SharedStateGroup(string actorPath) => "kernel";
}
