using ShadowPt.Actors;
using ShadowPt.Kernel;
using ShadowPt.Runtime;
using ShadowPt.Runtime.Strategies;
using ShadowPt.Scenarios.BuiltIn;
using ShadowPt.Spt;
using Xunit.Sdk;
using SptApi = ShadowPt.Spt.Spt;

namespace ShadowPt.Tests.Spt;

/// <summary>
/// A booted machine with the shadow page table that a test drives one user operation at a time from
/// outside the actor system: each operation is asked of a CPU and the system is run to quiescence,
/// so the test reads kernel state between operations as sequential code. The spec's consistency
/// check runs at every quiescent point; a violation fails the operation that caused it.
/// </summary>
internal sealed class SptWorld : IDisposable
{
    public const ulong Page = PageGeometry.PageSize;

    /// <summary>The CPU the target runs on.</summary>
    public const int TargetCpu = 0;

    /// <summary>The CPU the inspector runs on.</summary>
    public const int InspectorCpu = 1;

    /// <summary>-EPERM as a syscall returns it.</summary>
    public const long Eperm = -1;

    /// <summary>-EFAULT.</summary>
    public const long Efault = -14;

    /// <summary>-EBUSY.</summary>
    public const long Ebusy = -16;

    /// <summary>-EINVAL.</summary>
    public const long Einval = -22;

    /// <summary>Flags of an allocated anonymous page with a PTE.</summary>
    public const ulong AnonMapped = SptApi.SpteVaddrAllocated | SptApi.SpteVaddrAnonymous | SptApi.SptePteMapped;

    /// <summary>Flags of an allocated anonymous page without a PTE.</summary>
    public const ulong AnonUnmapped = SptApi.SpteVaddrAllocated | SptApi.SpteVaddrAnonymous;

    /// <summary>The tracked range of the tests: 16 pages from here.</summary>
    public const ulong RangeStart = 0x10000000;

    /// <summary>Pages in the tracked range of the tests.</summary>
    public const int RangePages = 16;

    /// <summary>Most operations one test may make (a bound on runaway loops in tests).</summary>
    public const int OperationsMax = 100_000;

    private int _operations;

    public SptWorld(ulong seed = 1, int cpus = 2, int frames = 1024, IEnumerable<string>? variants = null, bool checkConsistency = true)
    {
        ShadowptSyscalls.Install();
        System = ActorSystem.CreateDeterministic("spt-test", new RandomStrategy(seed));
        var config = new MachineConfig
        {
            Cpus = cpus,
            Frames = frames,
            Variants = new HashSet<string>(variants ?? [], StringComparer.Ordinal),
        };
        Machine = Machine.Boot(System, config, new ShadowHooks());
        if (checkConsistency)
        {
            System.AddQuiescentObserver(() => ShadowPtScenario.CheckConsistency(System, Machine));
        }
    }

    public ActorSystem System { get; }

    public Machine Machine { get; }

    public KernelState State => Machine.State;

    public SptState Table => State.Extension<SptState>();

    /// <summary>A new process (before or between runs).</summary>
    public int Process(string comm, bool superuser = false) => Machine.CreateProcess(comm, superuser);

    /// <summary>Runs <paramref name="op"/> as <paramref name="pid"/> on <paramref name="cpu"/> and the system to quiescence.</summary>
    public UserResult Do(int cpu, int pid, UserOp op)
    {
        Task<UserResult> reply = Start(cpu, pid, op);
        RunQuiescent();
        Assert.True(reply.IsCompletedSuccessfully, $"{op} as pid {pid} on cpu {cpu} got no reply");
        return reply.GetAwaiter().GetResult();
    }

    /// <summary>Sends <paramref name="op"/> without running: several started operations then run concurrently.</summary>
    public Task<UserResult> Start(int cpu, int pid, UserOp op)
    {
        Assert.True(++_operations <= OperationsMax, "too many operations in one test");
        return System.Ask<UserResult>(Machine.Cpus[cpu], new UserRequest(pid, op));
    }

    /// <summary>The return value of an operation started with <see cref="Start"/>, once the system ran to quiescence.</summary>
    public static long Ret(Task<UserResult> reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        Assert.True(reply.IsCompletedSuccessfully, "the operation got no reply");
        return reply.GetAwaiter().GetResult().Ret;
    }

    /// <summary>A system call's return value.</summary>
    public long Sys(int cpu, int pid, Syscall call) => Do(cpu, pid, new SyscallOp(call)).Ret;

    public void Store(int cpu, int pid, VirtAddr address, ulong value)
    {
        UserResult r = Do(cpu, pid, new WordAccessOp(address, true, value));
        Assert.False(r.Segv || r.Killed, $"store at {address} by pid {pid} faulted");
    }

    public ulong Load(int cpu, int pid, VirtAddr address)
    {
        UserResult r = Do(cpu, pid, new WordAccessOp(address, false, 0));
        Assert.False(r.Segv || r.Killed, $"load at {address} by pid {pid} faulted");
        return r.Word;
    }

    /// <summary>A one-byte user store (the fault path of a first write).</summary>
    public void Poke(int cpu, int pid, VirtAddr address, byte value)
    {
        UserResult r = Do(cpu, pid, new AccessOp(address, true, value));
        Assert.False(r.Segv || r.Killed, $"write at {address} by pid {pid} faulted");
    }

    /// <summary>A one-byte user load (a read fault of fresh anonymous memory maps the zero page).</summary>
    public byte Peek(int cpu, int pid, VirtAddr address)
    {
        UserResult r = Do(cpu, pid, new AccessOp(address, false, 0));
        Assert.False(r.Segv || r.Killed, $"read at {address} by pid {pid} faulted");
        return r.Value;
    }

    /// <summary>mmap of anonymous private read-write memory; the address the kernel chose.</summary>
    public VirtAddr MapAnon(int cpu, int pid, ulong pages, ulong at = 0, MapFlags extra = MapFlags.None, Prot prot = Prot.Read | Prot.Write)
    {
        MapFlags flags = MapFlags.Private | MapFlags.Anonymous | extra | (at != 0 ? MapFlags.FixedNoReplace : MapFlags.None);
        long ret = Sys(cpu, pid, new MmapCall(new VirtAddr(at), pages * Page, prot, flags));
        Assert.True(ret > 0, $"mmap of {pages} pages at 0x{at:x} failed with {ret}");
        if (at != 0)
        {
            Assert.Equal((long)at, ret);
        }

        return new VirtAddr((ulong)ret);
    }

    /// <summary>Runs to quiescence and fails the test on a violation.</summary>
    public void RunQuiescent()
    {
        RunOutcome outcome = System.Run();
        if (System.Violation is { } v)
        {
            throw new XunitException($"{v.Kind} at step {v.Step}: {v.Message}");
        }

        Assert.Equal(RunOutcome.Quiescent, outcome);
    }

    /// <summary>
    /// An inspector's setup as the spec's user program does it: a header page holding struct
    /// user_shadow_pt and an unpopulated entries mapping of <paramref name="entriesPages"/> pages
    /// (by default just enough), then shadowpt_open. Returns the handle and open's return value.
    /// </summary>
    public (InspectorHandle Inspector, long Ret) Open(int pid, int target, ulong start, ulong end, ulong? entriesPages = null, int cpu = InspectorCpu)
    {
        ulong count = (end - start + Page - 1) / Page;
        ulong needed = ((Math.Min(count, SptApi.MaxSptRange / Page) * SptApi.ShadowPteBytes) + Page - 1) / Page;
        VirtAddr header = MapAnon(cpu, pid, 1);
        VirtAddr entries = MapAnon(cpu, pid, Math.Max(1, entriesPages ?? needed));
        var inspector = new InspectorHandle(pid, cpu, header, entries);
        long ret = OpenWith(inspector, target, start, end, entries.Value);
        return (inspector, ret);
    }

    /// <summary>Writes the struct user_shadow_pt and calls shadowpt_open with it.</summary>
    public long OpenWith(InspectorHandle inspector, int target, ulong start, ulong end, ulong entries)
    {
        ArgumentNullException.ThrowIfNull(inspector);
        Store(inspector.Cpu, inspector.Pid, inspector.Header, start);
        Store(inspector.Cpu, inspector.Pid, inspector.Header + 8, end);
        Store(inspector.Cpu, inspector.Pid, inspector.Header + 16, entries);
        return Sys(inspector.Cpu, inspector.Pid, new ShadowptOpenCall(target, inspector.Header));
    }

    /// <summary>A superuser inspector that opened and started tracking <see cref="RangeStart"/> + <see cref="RangePages"/> of <paramref name="target"/>.</summary>
    public InspectorHandle Track(int target, int? inspectorPid = null, ulong start = RangeStart)
    {
        int pid = inspectorPid ?? Process("inspector", superuser: true);
        (InspectorHandle inspector, long ret) = Open(pid, target, start, start + (RangePages * Page));
        Assert.Equal(0, ret);
        Assert.Equal(0, Sys(inspector.Cpu, pid, new ShadowptStartCall()));
        return inspector;
    }

    /// <summary>The table as the inspector reads it: three 8-byte loads per entry through its page table and TLB.</summary>
    public ShadowPte[] ReadAsInspector(InspectorHandle inspector, int count)
    {
        ArgumentNullException.ThrowIfNull(inspector);
        var entries = new ShadowPte[count];
        for (int i = 0; i < count; i++)
        {
            VirtAddr at = inspector.Entries + ((ulong)i * SptApi.ShadowPteBytes);
            entries[i] = new ShadowPte(Load(inspector.Cpu, inspector.Pid, at), Load(inspector.Cpu, inspector.Pid, at + 8), Load(inspector.Cpu, inspector.Pid, at + 16));
        }

        return entries;
    }

    /// <summary>The table as the kernel holds it (read at a quiescent point).</summary>
    public ShadowPte[] KernelTable()
    {
        SptState t = Table;
        Assert.True(t.IsOpen, "no table is open");
        var who = new Provenance(System.Steps, "test");
        return Enumerable.Range(0, t.EntryCount).Select(i => t.ReadEntry(State.Frames, i, who)).ToArray();
    }

    /// <summary>The entry for the page <paramref name="pageIndex"/> pages after <see cref="RangeStart"/>.</summary>
    public ShadowPte Entry(int pageIndex) => KernelTable()[pageIndex];

    /// <summary>The pfn the present PTE of <paramref name="pid"/> at <paramref name="page"/> maps (asserts it is present).</summary>
    public ulong PtePfn(int pid, VirtAddr page)
    {
        MmStruct mm = State.Task(pid).Mm ?? throw new XunitException($"pid {pid} has no mm");
        Pte pte = mm.Pgd.GetPte(page.PageAlignDown());
        Assert.True(pte.IsPresent, $"no present PTE at {page} in pid {pid}");
        return pte.Pfn.Value;
    }

    /// <summary>
    /// The table is tracking, equals the truth, and the inspector reads the same through its own
    /// mapping: the checks every tracked change ends with.
    /// </summary>
    public void AssertConsistent(InspectorHandle inspector)
    {
        SptState t = Table;
        Assert.True(t.IsOpen && t.Tracking, "the table is not tracking");
        Assert.Empty(ShadowTruth.Differences(State));
        ShadowPte[] kernel = KernelTable();
        Assert.Equal(kernel, ReadAsInspector(inspector, kernel.Length));
        for (int i = 0; i < kernel.Length; i++)
        {
            Assert.Equal(t.Start.Value + ((ulong)i * Page), kernel[i].Vaddr);
        }
    }

    /// <summary>Frames holding kernel memory (the only kind a shadow table uses).</summary>
    public int KernelFrames() =>
        Enumerable.Range(0, State.Frames.FrameCount).Count(p => State.Frames.Kind(new Pfn((ulong)p)) == FrameKind.Kernel);

    /// <summary>Notifiers registered on any mm, live or dead.</summary>
    public int Notifiers() => State.Mms.Sum(m => m.Notifiers.Count);

    public static VirtAddr At(int pageIndex) => new((ulong)((long)RangeStart + (pageIndex * (long)Page)));

    public void Dispose() => System.Dispose();
}

/// <summary>An inspector process and its two mappings.</summary>
internal sealed record InspectorHandle(int Pid, int Cpu, VirtAddr Header, VirtAddr Entries);
