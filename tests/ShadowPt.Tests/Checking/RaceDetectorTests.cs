using ShadowPt.Checking;
using ShadowPt.Kernel;
using ShadowPt.Runtime;
using ShadowPt.Runtime.Async;
using ShadowPt.Runtime.Strategies;
using ShadowPt.Tests.TestKit;

namespace ShadowPt.Tests.Checking;

/// <summary>
/// The happens-before rules one at a time, fed to the detector as events: which edges order two CPUs'
/// accesses (locks, IPIs and their acks, a task's reply and next request, fork, downgrade, SRCU), which
/// do not (readers of an rwsem, the memory actor's order), and which pairs of markings race.
/// </summary>
public sealed class RaceDetectorTests : IDisposable
{
    private static readonly CpuId Cpu0 = new(0);
    private static readonly CpuId Cpu1 = new(1);
    private static readonly LockRef Ptl = new PtlRef(new PtePageId(new Pfn(7)));
    private static readonly LockRef Mmap = new MmapLockRef(new MmId(1));

    private readonly ActorSystem _system = ActorSystem.CreateDeterministic("races", new RandomStrategy(1));
    private readonly KernelState _state = new(new MachineConfig { Cpus = 2, Frames = 64 });
    private readonly RaceDetector _races;
    private readonly Pfn _frame;

    public RaceDetectorTests()
    {
        _races = new RaceDetector(_system, _state, new KernelEvents());
        _frame = _state.Frames.AllocPage(FrameKind.Kernel, new Provenance(0, "test"))!.Value;
    }

    public void Dispose() => _system.Dispose();

    private MemoryAccess Access(CpuId cpu, bool write, AccessMarking marking, string function = "f", int offset = 8, ulong value = 1) =>
        new(cpu, cpu.Value + 1, function, AccessSpace.KernelWord, _frame, offset, 8, write, marking, 0, value, _state.Frames.Generation(_frame), default, 0);

    private void Do(in MemoryAccess access) => _races.MemoryAccessed(in access);

    private static LockEvent Lock(CpuId cpu, LockRef lockRef, LockMode mode) => new(cpu, cpu.Value + 1, new LockUse(lockRef, mode, 0, "test"), [], false, 0, default);

    private static UserOpEvent Op(CpuId cpu, int pid, UserOp op, UserResult? result = null) => new(cpu, pid, op, result, 0, default);

    private void AssertRace(string title)
    {
        RaceReport report = Assert.IsType<RaceReport>(_races.Report);
        Assert.Equal(title, report.Title);
        Assert.Equal(RaceDetector.Kind, _system.Violation?.Kind);
    }

    [Fact]
    public void TwoPlainAccessesOfTwoCpusWithNothingBetweenThemRace()
    {
        Do(Access(Cpu0, true, AccessMarking.Plain, "writer"));
        Do(Access(Cpu1, false, AccessMarking.Plain, "reader"));
        AssertRace("BUG: KCSAN: data-race in reader / writer");
    }

    [Fact]
    public void OneCpuNeverRacesWithItself()
    {
        Do(Access(Cpu0, true, AccessMarking.Plain));
        Do(Access(Cpu0, true, AccessMarking.Plain));
        Do(Access(Cpu0, false, AccessMarking.Plain));
        Assert.Null(_races.Report);
        Assert.Equal(3, _races.AccessesChecked);
    }

    [Theory]
    [InlineData(AccessMarking.Marked, AccessMarking.Marked, false, false)]
    [InlineData(AccessMarking.MarkedExclusiveWriter, AccessMarking.Marked, false, false)] // WRITE_ONCE with a lockless READ_ONCE reader: intended
    [InlineData(AccessMarking.Plain, AccessMarking.Marked, false, true)]
    [InlineData(AccessMarking.Marked, AccessMarking.Plain, false, true)]
    [InlineData(AccessMarking.Marked, AccessMarking.Marked, true, false)]
    [InlineData(AccessMarking.MarkedExclusiveWriter, AccessMarking.Marked, true, true)] // a second writer where the first asserted it is alone
    [InlineData(AccessMarking.Marked, AccessMarking.MarkedExclusiveWriter, true, true)]
    public void MarkingDecidesWhetherConcurrentAccessesRace(AccessMarking first, AccessMarking second, bool secondWrites, bool race)
    {
        Do(Access(Cpu0, true, first));
        Do(Access(Cpu1, secondWrites, second));
        Assert.Equal(race, _races.Report is not null);
    }

    [Fact]
    public void AReadThenAConcurrentPlainWriteIsARaceToo()
    {
        Do(Access(Cpu0, false, AccessMarking.Marked, "reader"));
        Do(Access(Cpu1, true, AccessMarking.Plain, "writer"));
        AssertRace("BUG: KCSAN: data-race in reader / writer");
    }

    [Fact]
    public void AWriteThatLeavesTheWordAsItWasIsReportedOnlyWhenStrictOrAsserted()
    {
        Do(Access(Cpu0, false, AccessMarking.Plain));
        Do(Access(Cpu1, true, AccessMarking.Plain) with { OldValue = 5, NewValue = 5 });
        Assert.Null(_races.Report); // CONFIG_KCSAN_REPORT_VALUE_CHANGE_ONLY
        Do(Access(Cpu0, true, AccessMarking.MarkedExclusiveWriter, "first", offset: 16) with { OldValue = 5, NewValue = 5 });
        Do(Access(Cpu1, true, AccessMarking.Marked, "second", offset: 16) with { OldValue = 5, NewValue = 5 });
        AssertRace("BUG: KCSAN: assert: race in first / second");

        using ActorSystem system = ActorSystem.CreateDeterministic("strict", new RandomStrategy(1));
        var state = new KernelState(new MachineConfig { Cpus = 2, Frames = 64 });
        var strict = new RaceDetector(system, state, new KernelEvents()) { ReportValueChangeOnly = false };
        Pfn frame = state.Frames.AllocPage(FrameKind.Kernel, new Provenance(0, "test"))!.Value;
        var read = new MemoryAccess(Cpu0, 1, "reader", AccessSpace.KernelWord, frame, 0, 8, false, AccessMarking.Plain, 5, 5, state.Frames.Generation(frame), default, 0);
        strict.MemoryAccessed(read);
        strict.MemoryAccessed(read with { Cpu = Cpu1, Function = "writer", Write = true });
        Assert.Equal("BUG: KCSAN: data-race in reader / writer", strict.Report?.Title);
        Assert.DoesNotContain("value changed", strict.Report!.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void ALockReleasedThenAcquiredOrdersTheAccesses()
    {
        _races.LockAcquired(Lock(Cpu0, Ptl, LockMode.Exclusive));
        Do(Access(Cpu0, true, AccessMarking.Plain));
        _races.LockReleased(Lock(Cpu0, Ptl, LockMode.Exclusive));
        _races.LockAcquired(Lock(Cpu1, Ptl, LockMode.Exclusive));
        Do(Access(Cpu1, true, AccessMarking.Plain));
        Assert.Null(_races.Report);
    }

    [Fact]
    public void AnotherLockDoesNotOrderThem()
    {
        _races.LockAcquired(Lock(Cpu0, Ptl, LockMode.Exclusive));
        Do(Access(Cpu0, true, AccessMarking.Plain));
        _races.LockReleased(Lock(Cpu0, Ptl, LockMode.Exclusive));
        _races.LockAcquired(Lock(Cpu1, Mmap, LockMode.Exclusive));
        Do(Access(Cpu1, true, AccessMarking.Plain));
        Assert.NotNull(_races.Report);
    }

    [Fact]
    public void ReadersOfAnRwsemAreNotOrderedButAWriterComesAfterThem()
    {
        _races.LockAcquired(Lock(Cpu0, Mmap, LockMode.Shared));
        Do(Access(Cpu0, false, AccessMarking.Plain));
        _races.LockReleased(Lock(Cpu0, Mmap, LockMode.Shared));
        _races.LockAcquired(Lock(Cpu1, Mmap, LockMode.Exclusive));
        Do(Access(Cpu1, true, AccessMarking.Plain));
        Assert.Null(_races.Report);

        _races.LockReleased(Lock(Cpu1, Mmap, LockMode.Exclusive));
        _races.LockAcquired(Lock(Cpu0, Mmap, LockMode.Shared));
        Do(Access(Cpu0, true, AccessMarking.Plain, offset: 16));
        _races.LockReleased(Lock(Cpu0, Mmap, LockMode.Shared));
        _races.LockAcquired(Lock(Cpu1, Mmap, LockMode.Shared)); // reader after reader: no edge
        Do(Access(Cpu1, true, AccessMarking.Plain, offset: 16));
        Assert.NotNull(_races.Report);
    }

    [Fact]
    public void ADowngradeLetsTheReadersInAfterTheWriter()
    {
        _races.LockAcquired(Lock(Cpu0, Mmap, LockMode.Exclusive));
        Do(Access(Cpu0, true, AccessMarking.Plain));
        _races.LockDowngraded(Lock(Cpu0, Mmap, LockMode.Exclusive));
        _races.LockAcquired(Lock(Cpu1, Mmap, LockMode.Shared));
        Do(Access(Cpu1, false, AccessMarking.Plain));
        Assert.Null(_races.Report);
    }

    [Fact]
    public void SynchronizeSrcuComesAfterTheReadSectionsItWaitedFor()
    {
        Do(Access(Cpu0, true, AccessMarking.Plain));
        _races.LockReleased(Lock(Cpu0, NotifierSrcuRef.Instance, LockMode.Shared));
        _races.SrcuSynchronized(Lock(Cpu1, NotifierSrcuRef.Instance, LockMode.Exclusive));
        Do(Access(Cpu1, true, AccessMarking.Plain));
        Assert.Null(_races.Report);
    }

    [Fact]
    public void AnIpiOrdersTheSenderBeforeTheHandlerAndTheAckTheHandlerBeforeTheSender()
    {
        Do(Access(Cpu0, true, AccessMarking.Plain, offset: 8));
        _races.IpiSent(new IpiEvent(Cpu0, Cpu1, 0, default));
        _races.IpiReceived(new IpiEvent(Cpu0, Cpu1, 0, default));
        Do(Access(Cpu1, true, AccessMarking.Plain, offset: 8)); // after the IPI came in
        Do(Access(Cpu1, true, AccessMarking.Plain, offset: 16));
        _races.IpiAcked(new IpiEvent(Cpu0, Cpu1, 0, default));
        _races.IpiAckReceived(new IpiEvent(Cpu0, Cpu1, 0, default));
        Do(Access(Cpu0, true, AccessMarking.Plain, offset: 16)); // after the ack came back
        Assert.Null(_races.Report);
        Do(Access(Cpu1, true, AccessMarking.Plain, offset: 24));
        Do(Access(Cpu0, true, AccessMarking.Plain, offset: 24)); // nothing since
        Assert.NotNull(_races.Report);
    }

    [Fact]
    public void ATasksReplyOrdersItsNextRequestOnAnotherCpuAndForkOrdersTheChild()
    {
        _races.UserOpStarted(Op(Cpu0, 5, new SleepOp()));
        Do(Access(Cpu0, true, AccessMarking.Plain, offset: 8));
        _races.UserOpDone(Op(Cpu0, 5, new SyscallOp(new ForkCall()), UserResult.Returned(6)));
        _races.UserOpStarted(Op(Cpu1, 6, new SleepOp())); // the child, on the other CPU
        Do(Access(Cpu1, true, AccessMarking.Plain, offset: 8));
        _races.UserOpDone(Op(Cpu1, 6, new SleepOp(), UserResult.Returned(0)));
        Assert.Null(_races.Report);

        _races.UserOpStarted(Op(Cpu1, 7, new SleepOp())); // an unrelated task
        Do(Access(Cpu1, true, AccessMarking.Plain, offset: 16));
        _races.UserOpDone(Op(Cpu1, 7, new SleepOp(), UserResult.Returned(0)));
        _races.UserOpStarted(Op(Cpu0, 5, new SleepOp()));
        Do(Access(Cpu0, true, AccessMarking.Plain, offset: 16));
        Assert.NotNull(_races.Report);
    }

    [Fact]
    public void AFrameAllocatedAgainStartsAFreshHistory()
    {
        Do(Access(Cpu0, true, AccessMarking.Plain));
        _state.Frames.FreePage(_frame, new Provenance(1, "test"));
        while (_state.Frames.AllocPage(FrameKind.Kernel, new Provenance(2, "test")) is Pfn again && again != _frame)
        {
            // the free list is FIFO: take frames until this one comes round again
        }

        Assert.True(_state.Frames.IsAllocated(_frame));
        Do(Access(Cpu1, true, AccessMarking.Plain));
        Assert.Null(_races.Report);
    }

    [Fact]
    public void TheReportReadsLikeKcsan()
    {
        Do(Access(Cpu0, true, AccessMarking.Plain, "update_thing", value: 0x2a));
        Do(Access(Cpu1, false, AccessMarking.Marked, "read_thing"));
        string expected = string.Join('\n',
            "==================================================================",
            "BUG: KCSAN: data-race in read_thing / update_thing",
            string.Empty,
            $"write to 0xffff888{_frame.Value << 12 | 8:x9} of 8 bytes by task 1 on cpu 0:",
            " update_thing",
            $" a word of a kernel frame (frame 0x{_frame.Value:x} +0x8)",
            string.Empty,
            $"read (marked) to 0xffff888{_frame.Value << 12 | 8:x9} of 8 bytes by task 2 on cpu 1:",
            " read_thing",
            $" a word of a kernel frame (frame 0x{_frame.Value:x} +0x8)",
            string.Empty,
            "value changed: 0x0000000000000000 -> 0x000000000000002a",
            string.Empty,
            "Reported by Kernel Concurrency Sanitizer on:",
            "CPU: 1 PID: 2 Comm: ? step 0",
            "no happens-before: cpu1's clock [c0:0 c1:1] does not cover cpu0's access at its epoch 1",
            "==================================================================",
            string.Empty);
        Assert.Equal(expected, _races.Report!.Text);
        Assert.Equal(expected, _system.Violation!.Message);
    }
}

/// <summary>PTE stores of kernel code are checked too: one made without the PTE lock races with the fault that set the PTE.</summary>
public sealed class PteRaceTests
{
    /// <summary>A buggy kernel path for the test: write-protects the PTE of <see cref="Address"/>, with or without its PTE lock.</summary>
    private sealed record WrprotectPteCall(VirtAddr Address, bool TakePtl) : Syscall
    {
        public override string Name => "test_wrprotect_pte";
    }

    static PteRaceTests() => ExtraSyscalls.Register<WrprotectPteCall>(WrprotectPte);

    private static async ActorTask<long> WrprotectPte(KernelContext k, WrprotectPteCall call)
    {
        MmId mm = k.Mm;
        PtePageId? table = await k.Mem("test lookup", s => s.Mm(mm).Pgd.PteTableOf(call.Address));
        if (table is not PtePageId t)
        {
            return -14;
        }

        var ptl = new PtlRef(t);
        if (call.TakePtl)
        {
            await k.Lock(ptl, LockMode.Exclusive);
        }

        await k.Mem("test_wrprotect_pte", s => s.Mm(mm).Pgd.SetPteAt(call.Address, s.Mm(mm).Pgd.GetPte(call.Address).PteWrProtect()));
        if (call.TakePtl)
        {
            k.Unlock(ptl, LockMode.Exclusive);
        }

        return 0;
    }

    private static Violation? FaultThenWrprotectFromAnotherThread(bool takePtl)
    {
        using var sim = new SimMachine(2, seed: 3);
        var races = new RaceDetector(sim.System, sim.State, sim.Machine.Events);
        int leader = sim.Spawn("threads");
        int thread = sim.SpawnThread(leader);
        VirtAddr page = sim.Mmap(leader, 0, 1, addr: 0x40000000, flags: MapFlags.Private | MapFlags.Anonymous | MapFlags.Fixed);
        sim.Write(leader, 0, page, 1); // do_anonymous_page under the PTE lock
        Task<UserResult> reply = sim.Start(thread, 1, new SyscallOp(new WrprotectPteCall(page, takePtl)));
        sim.System.Run();
        Assert.True(races.AccessesChecked >= 2);
        return sim.System.Violation;
    }

    [Fact]
    public void APteStoreWithoutThePteLockIsReported()
    {
        Violation v = Assert.IsType<Violation>(FaultThenWrprotectFromAnotherThread(takePtl: false));
        Assert.Equal("data-race", v.Kind);
        string[] lines = v.Message.Split('\n');
        Assert.Equal("BUG: KCSAN: assert: race in do_anonymous_page set_pte_at / test_wrprotect_pte", lines[1]);
        Assert.Matches(@"^write \(marked\) to 0xffff888[0-9a-f]{9} of 8 bytes by task 1 on cpu 0:$", lines[3]);
        Assert.Equal(" do_anonymous_page set_pte_at", lines[4]);
        Assert.Matches(@"^ the PTE of 0x40000000 in mm1 \(frame 0x[0-9a-f]+ \+0x0\)$", lines[5]);
        Assert.Matches(@"^assert no writes to 0xffff888[0-9a-f]{9} of 8 bytes by task 2 on cpu 1:$", lines[7]);
        Assert.Equal(" test_wrprotect_pte", lines[8]);
        Assert.Equal(lines[5], lines[9]);
        Assert.Matches("value changed: 0x[0-9a-f]{16} -> 0x[0-9a-f]{16}", v.Message);
    }

    [Fact]
    public void WithThePteLockItIsNot() => Assert.Null(FaultThenWrprotectFromAnotherThread(takePtl: true));
}
