using ShadowPt.Actors;
using ShadowPt.Kernel;
using ShadowPt.Runtime;
using ShadowPt.Runtime.Actors;
using ShadowPt.Runtime.Strategies;
using Xunit.Sdk;

namespace ShadowPt.Tests.TestKit;

/// <summary>
/// A booted machine driven from a test, one user operation at a time or several at once: a test
/// asks CPU <c>c</c> to run an operation as task <c>pid</c> (as a process does), runs the system to
/// quiescence, and reads the kernel state between runs. Every run must end without a violation.
/// </summary>
internal sealed class SimMachine : IDisposable
{
    public const ulong Page = PageGeometry.PageSize;

    /// <summary>Deliveries one test may make in total.</summary>
    public const long StepsMaxDefault = 4_000_000;

    public SimMachine(int cpus, ulong seed = 1, int frames = 1024, IEnumerable<string>? variants = null, KernelHooks? hooks = null, SchedulingStrategy? strategy = null, Func<MachineConfig, MachineConfig>? configure = null)
    {
        System = ActorSystem.CreateDeterministic("sim", strategy ?? new RandomStrategy(seed), new RuntimeLimits { StepsMax = StepsMaxDefault });
        var config = new MachineConfig
        {
            Cpus = cpus,
            Frames = frames,
            Variants = new HashSet<string>(variants ?? [], StringComparer.Ordinal),
        };
        Machine = Machine.Boot(System, configure?.Invoke(config) ?? config, hooks);
    }

    public ActorSystem System { get; }

    public Machine Machine { get; }

    /// <summary>The kernel state; read it only between runs.</summary>
    public KernelState State => Machine.State;

    public int Cpus => Machine.Cpus.Count;

    /// <summary>A process as execve leaves it (a stack VMA, nothing mapped); only before or between runs.</summary>
    public int Spawn(string comm = "p") => Machine.CreateProcess(comm);

    /// <summary>
    /// A second task of <paramref name="pid"/>'s address space (a thread: clone with CLONE_VM), so
    /// that two CPUs can run one mm at the same time. Only between runs.
    /// </summary>
    public int SpawnThread(int pid)
    {
        TaskStruct leader = State.Task(pid);
        MmStruct mm = leader.Mm ?? throw new InvalidOperationException($"pid {pid} has no mm");
        TaskStruct thread = State.NewTask(leader.Comm, leader.ParentPid, leader.Superuser);
        thread.Mm = mm;
        thread.HasSigsegvHandler = leader.HasSigsegvHandler;
        mm.MmUsers++;
        return thread.Pid;
    }

    /// <summary>Sends the request without running the system; the task completes during a later run.</summary>
    public Task<UserResult> Start(int pid, int cpu, UserOp op) =>
        System.Ask<UserResult>(Machine.Cpus[cpu], new UserRequest(pid, op));

    /// <summary>Runs to quiescence and fails the test on any violation.</summary>
    public void RunQuiescent()
    {
        RunOutcome outcome = System.Run();
        if (System.Violation is { } v)
        {
            throw new XunitException($"run ended with {v.Kind} at step {v.Step}: {v.Message}");
        }

        Assert.Equal(RunOutcome.Quiescent, outcome);
    }

    /// <summary>The result of a request started with <see cref="Start"/>, which must have completed by now.</summary>
    public static UserResult Completed(Task<UserResult> request)
    {
        ArgumentNullException.ThrowIfNull(request);
        Assert.True(request.IsCompletedSuccessfully, "the request has not completed");
        return request.Result;
    }

    /// <summary>Runs one operation to completion.</summary>
    public UserResult Do(int pid, int cpu, UserOp op)
    {
        Task<UserResult> result = Start(pid, cpu, op);
        RunQuiescent();
        Assert.True(result.IsCompletedSuccessfully, $"{op} of pid {pid} on cpu{cpu} did not complete");
        return Completed(result);
    }

    /// <summary>A system call that must return normally (not kill the task); returns its value.</summary>
    public long Sys(int pid, int cpu, Syscall call)
    {
        UserResult r = Do(pid, cpu, new SyscallOp(call));
        Assert.False(r.Killed, $"{call.Name} killed pid {pid}");
        return r.Ret;
    }

    public VirtAddr Mmap(int pid, int cpu, int pages, Prot prot = Prot.Read | Prot.Write, MapFlags flags = MapFlags.Private | MapFlags.Anonymous, ulong addr = 0)
    {
        long ret = Sys(pid, cpu, new MmapCall(new VirtAddr(addr), (ulong)pages * Page, prot, flags));
        Assert.True(ret > 0, $"mmap returned {ret}");
        return new VirtAddr((ulong)ret);
    }

    public UserResult Access(int pid, int cpu, VirtAddr addr, bool write, byte value = 0) =>
        Do(pid, cpu, new AccessOp(addr, write, value));

    /// <summary>A load that must succeed; returns the byte.</summary>
    public byte Read(int pid, int cpu, VirtAddr addr)
    {
        UserResult r = Access(pid, cpu, addr, false);
        Assert.False(r.Segv || r.Killed, $"read of {addr} by pid {pid}: segv {r.Segv}, killed {r.Killed}");
        return r.Value;
    }

    /// <summary>A store that must succeed.</summary>
    public void Write(int pid, int cpu, VirtAddr addr, byte value)
    {
        UserResult r = Access(pid, cpu, addr, true, value);
        Assert.False(r.Segv || r.Killed, $"write of {addr} by pid {pid}: segv {r.Segv}, killed {r.Killed}");
    }

    /// <summary>Installs a SIGSEGV handler for <paramref name="pid"/>, so a SIGSEGV is reported instead of fatal.</summary>
    public void CatchSigsegv(int pid, int cpu) => Assert.Equal(0, Sys(pid, cpu, new SigsegvHandlerCall(true)));

    /// <summary>The task sleeps on <paramref name="cpu"/>: the CPU runs its idle task, lazily keeping the mm.</summary>
    public void Sleep(int pid, int cpu) => Do(pid, cpu, new SleepOp());

    public long Exit(int pid, int cpu, int code = 0)
    {
        UserResult r = Do(pid, cpu, new SyscallOp(new ExitCall(code)));
        Assert.True(r.Killed);
        return r.Ret;
    }

    public MmStruct MmOf(int pid) => State.Task(pid).Mm ?? throw new InvalidOperationException($"pid {pid} has no mm");

    public Pte PteOf(int pid, VirtAddr addr) => MmOf(pid).Pgd.GetPte(addr.PageAlignDown());

    public long MinFlt(int pid) => MmOf(pid).MinFlt;

    /// <summary>The VMAs of <paramref name="pid"/> as (start, end) pairs, stack included.</summary>
    public (ulong Start, ulong End)[] Vmas(int pid) => MmOf(pid).Vmas.All.Select(v => (v.VmStart.Value, v.VmEnd.Value)).ToArray();

    /// <summary>The kernel context of a CPU (its TLB and tlb_gen), read between runs.</summary>
    public KernelContext Cpu(int cpu)
    {
        var cell = ((LocalActorRef)Machine.Cpus[cpu]).Cell;
        return ((CpuActor)(cell.Actor ?? throw new InvalidOperationException($"cpu{cpu} has no actor"))).Kernel;
    }

    /// <summary>Whether CPU <paramref name="cpu"/>'s TLB caches page <paramref name="addr"/> of <paramref name="pid"/>'s mm.</summary>
    public bool TlbHas(int cpu, MmId mm, VirtAddr addr) => Cpu(cpu).Tlb.Lookup(mm, addr) is not null;

    /// <summary>
    /// The tlb_gen invariant at a quiescent point: a CPU whose TLB is up to date with a live mm's
    /// flush generation caches only translations that its page table still allows (same frame,
    /// writable only if the PTE is). Lazy or switched-away CPUs behind the generation may hold stale
    /// entries: they flush when they switch back.
    /// </summary>
    public void AssertTlbCoherent()
    {
        for (int cpu = 0; cpu < Cpus; cpu++)
        {
            KernelContext k = Cpu(cpu);
            foreach (TlbEntry e in k.Tlb.Entries())
            {
                MmStruct mm = State.Mm(e.Mm);
                if (mm.IsDead || k.LocalTlbGen(e.Mm) != mm.TlbGen)
                {
                    continue;
                }

                var addr = new VirtAddr(e.Vpn << PageGeometry.PageShift);
                Pte pte = mm.Pgd.GetPte(addr);
                Assert.True(
                    pte.IsPresent && pte.Pfn == e.Pfn && (!e.Writable || pte.IsWrite),
                    $"cpu{cpu} is at tlb_gen {mm.TlbGen} of {e.Mm} but caches {addr} -> pfn {e.Pfn} (writable {e.Writable}); the PTE is {pte}");
            }
        }
    }

    /// <summary>At a quiescent point no kernel path is running: no mmap_lock, PTE lock or SRCU read section is held.</summary>
    public void AssertNoLocksHeld()
    {
        State.AssertInvariants();
        Assert.All(State.Mms, m => Assert.False(m.MmapLock.IsLocked || m.MmapLock.Waiters.Count > 0, $"{m.Id}->mmap_lock is held or awaited"));
        Assert.All(State.PageTableLocks, ptl => Assert.False(ptl.IsLocked, $"{ptl} is held"));
        Assert.Equal(0, State.NotifierSrcu.ReaderCount);
        for (int cpu = 0; cpu < Cpus; cpu++)
        {
            Assert.Empty(Cpu(cpu).HeldLocks);
        }
    }

    /// <summary>
    /// Everything an idle machine must satisfy after every process exited: no frame allocated (page
    /// cache aside), no mm alive, no lock held (mmap_lock, PTE locks, SRCU), no CPU running anything.
    /// Reports the history of every leaked frame.
    /// </summary>
    public void AssertAllFreed()
    {
        State.AssertInvariants();
        Assert.All(State.Tasks, t => Assert.True(t.Exited && t.Mm is null, $"{t} is still alive"));
        Assert.All(State.Mms, m => Assert.True(m.IsDead && m.Pgd.IsFreed && m.Vmas.Count == 0 && m.MmUsers == 0, $"{m} is still alive"));
        Assert.All(State.Mms, m => Assert.False(m.MmapLock.IsLocked, $"{m.Id}->mmap_lock is held"));
        Assert.All(State.PageTableLocks, ptl => Assert.False(ptl.IsLocked, $"{ptl} is held"));
        Assert.Empty(State.PageTableLocks);
        Assert.Equal(0, State.NotifierSrcu.ReaderCount);
        var cached = new HashSet<Pfn>(State.PageCache.Pages);
        var leaked = new List<string>();
        for (ulong pfn = 2; pfn < (ulong)State.Frames.FrameCount; pfn++)
        {
            var p = new Pfn(pfn);
            if (State.Frames.IsAllocated(p) && !cached.Contains(p))
            {
                leaked.Add(State.Frames.History(p));
            }
        }

        Assert.True(leaked.Count == 0, "frames leaked:\n" + string.Join("\n", leaked));
        Assert.Equal(State.PageCache.Count, State.Frames.AllocatedCount);
        // A lazy CPU may still have a dead mm loaded (Linux keeps it as active_mm until the next switch).
        Assert.All(State.PerCpu, c => Assert.True(
            c.CurrentPid == 0 && (c.LoadedMm is not MmId loaded || State.Mm(loaded).IsDead),
            $"cpu{c.Cpu.Value} still runs pid {c.CurrentPid} with {c.LoadedMm}"));
    }

    public void Dispose() => System.Dispose();
}
