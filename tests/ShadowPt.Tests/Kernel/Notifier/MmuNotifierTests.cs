using ShadowPt.Kernel;
using ShadowPt.Runtime.Actors;
using ShadowPt.Runtime.Async;
using ShadowPt.Tests.TestKit;

namespace ShadowPt.Tests.Kernel.Notifier;

/// <summary>
/// mmu_notifier as a secondary MMU sees it: invalidate_range_start before and invalidate_range_end
/// after every PTE change that removes or downgrades a mapping, on the CPU making the change; release
/// once at teardown; unregister returns only when no callback of it is still running.
/// </summary>
public sealed class MmuNotifierTests
{
    private const ulong Page = SimMachine.Page;

    private const ulong Base = 0x7f0000000000;

    private const MapFlags Fixed = MapFlags.Private | MapFlags.Anonymous | MapFlags.Fixed;

    public static TheoryData<int> CpuCounts() => new(1, 4);

    [Theory]
    [MemberData(nameof(CpuCounts))]
    public void EveryRemovalOrDowngradeIsBracketedByStartAndEndWithTheOldPteAtStart(int cpus)
    {
        using var sim = new SimMachine(cpus);
        NotifierCalls.Register();
        int cpu = cpus - 1;
        int pid = sim.Spawn();
        VirtAddr[] w = Enumerable.Range(0, 5).Select(i => new VirtAddr(Base + ((ulong)i * Page))).ToArray();
        sim.Mmap(pid, cpu, 5, addr: Base, flags: Fixed);
        foreach (VirtAddr page in w)
        {
            sim.Write(pid, cpu, page, 1);
        }

        var ops = new RecordingOps(w);
        Assert.Equal(0, sim.Sys(pid, cpu, new NotifierCalls.RegisterCall(ops)));
        MmId mm = sim.MmOf(pid).Id;

        Check(sim, pid, ops, w, "munmap", MmuNotifierEvent.Unmap, () => sim.Sys(pid, cpu, new MunmapCall(w[0], Page)));
        Check(sim, pid, ops, w, "mprotect", MmuNotifierEvent.ProtectionVma, () => sim.Sys(pid, cpu, new MprotectCall(w[1], Page, Prot.Read)));
        Check(sim, pid, ops, w, "madvise", MmuNotifierEvent.Clear, () => sim.Sys(pid, cpu, new MadviseDontneedCall(w[2], Page)));
        int child = 0;
        Check(sim, pid, ops, w, "fork", MmuNotifierEvent.ProtectionPage, () => child = (int)sim.Sys(pid, cpu, new ForkCall()));
        Check(sim, pid, ops, w, "cow", MmuNotifierEvent.Clear, () => sim.Write(pid, cpu, w[3], 2));
        Assert.All(ops.Calls, c => Assert.Equal(cpu, c.Cpu)); // callbacks run on the CPU making the change
        Assert.All(ops.Calls, c => Assert.Equal(mm, c.Mm));

        sim.Write(child, 0, w[4], 3); // the child's COW: the child's mm has no subscriber
        Assert.Empty(ops.TakeCalls());

        sim.Exit(pid, cpu);
        Call release = Assert.Single(ops.TakeCalls());
        Assert.Equal("release", release.Kind);
        Assert.Empty(sim.State.Mm(mm).Notifiers);
        sim.Exit(child, 0);
        Assert.Empty(ops.TakeCalls());
        sim.AssertAllFreed();
    }

    [Theory]
    [MemberData(nameof(CpuCounts))]
    public void ExecveReleasesTheOldMmsSubscribers(int cpus)
    {
        using var sim = new SimMachine(cpus);
        NotifierCalls.Register();
        int cpu = cpus - 1;
        int pid = sim.Spawn();
        VirtAddr a = sim.Mmap(pid, cpu, 1, addr: Base, flags: Fixed);
        sim.Write(pid, cpu, a, 1);
        var ops = new RecordingOps([a]);
        Assert.Equal(0, sim.Sys(pid, cpu, new NotifierCalls.RegisterCall(ops)));

        Assert.Equal(0, sim.Sys(pid, cpu, new ExecveCall("next")));

        Call release = Assert.Single(ops.TakeCalls()); // release first; the teardown's zaps reach nobody
        Assert.Equal("release", release.Kind);
    }

    [Theory]
    [InlineData(1UL)]
    [InlineData(2UL)]
    [InlineData(3UL)]
    public void UnregisterWaitsForACallbackInFlight(ulong seed)
    {
        using var sim = new SimMachine(2, seed);
        NotifierCalls.Register();
        int t1 = sim.Spawn();
        int t2 = sim.SpawnThread(t1);
        VirtAddr a = sim.Mmap(t1, 0, 2, addr: Base, flags: Fixed);
        sim.Write(t1, 0, a, 1);
        var gate = new TestProbe(sim.System, "gate");
        var ops = new RecordingOps([a]) { Gate = gate.Ref };
        Assert.Equal(0, sim.Sys(t1, 0, new NotifierCalls.RegisterCall(ops)));

        Task<UserResult> munmap = sim.Start(t1, 0, new SyscallOp(new MunmapCall(a, Page)));
        gate.ExpectMsg("in invalidate_range_start"); // the callback is running, inside its SRCU read section
        Task<UserResult> unregister = sim.Start(t2, 1, new SyscallOp(new NotifierCalls.UnregisterCall(ops)));
        sim.RunQuiescent();

        Assert.False(unregister.IsCompleted); // synchronize_srcu waits for the reader
        Assert.Empty(sim.State.Mm(sim.MmOf(t1).Id).Notifiers); // already unhooked: no new callback starts
        Assert.False(munmap.IsCompleted);

        ops.Gate = null;
        gate.Reply("go on");
        sim.RunQuiescent();

        Assert.Equal(0, SimMachine.Completed(unregister).Ret);
        Assert.Equal(0, SimMachine.Completed(munmap).Ret);
        // The callback that had begun finished before unregister returned; invalidate_range_end walks
        // the subscriptions again, and this one is gone by then (as in Linux, it gets no end).
        Assert.Equal(["start"], ops.TakeCalls().Select(c => c.Kind));
        Assert.True(ops.UnregisterReturnedAfterStart);
        Assert.Equal(0, sim.State.NotifierSrcu.ReaderCount);
        Assert.Equal(0, sim.Sys(t1, 0, new MunmapCall(a + Page, Page)));
        Assert.Empty(ops.TakeCalls()); // and none follows unregister
    }

    /// <summary>
    /// Runs <paramref name="op"/> and checks that every watched PTE it removed or downgraded was
    /// covered by a start callback (seeing the old PTE) and a later end callback (seeing the new one),
    /// of event <paramref name="expected"/>, with starts and ends paired.
    /// </summary>
    private static void Check(SimMachine sim, int pid, RecordingOps ops, VirtAddr[] watched, string what, MmuNotifierEvent expected, Action op)
    {
        Pte[] before = watched.Select(a => sim.PteOf(pid, a)).ToArray();
        op();
        Pte[] after = watched.Select(a => sim.PteOf(pid, a)).ToArray();
        List<Call> calls = ops.TakeCalls();
        Assert.Equal(calls.Count(c => c.Kind == "start"), calls.Count(c => c.Kind == "end"));
        int changed = 0;
        for (int i = 0; i < watched.Length; i++)
        {
            bool removedOrDowngraded = before[i].IsPresent
                && (!after[i].IsPresent || after[i].Pfn != before[i].Pfn || (before[i].IsWrite && !after[i].IsWrite));
            if (!removedOrDowngraded)
            {
                continue;
            }

            changed++;
            int start = calls.FindIndex(c => c.Kind == "start" && c.Range.Range.Contains(watched[i]) && c.Ptes[i] == before[i]);
            Assert.True(start >= 0, $"{what}: no invalidate_range_start saw {watched[i]} before it changed ({before[i]} → {after[i]})");
            Assert.Equal(expected, calls[start].Range.Event);
            int end = calls.FindIndex(start + 1, c => c.Kind == "end" && c.Range == calls[start].Range);
            Assert.True(end > start, $"{what}: no invalidate_range_end after the start for {watched[i]}");
            Assert.Equal(after[i], calls[end].Ptes[i]);
        }

        Assert.True(changed > 0, $"{what} changed no watched PTE");
    }

    /// <summary>One callback: what it was, on which CPU, and the watched PTEs it saw (default outside its range).</summary>
    private sealed record Call(string Kind, int Cpu, MmId Mm, MmuNotifierRange Range, Pte[] Ptes);

    /// <summary>A secondary MMU that records its callbacks and reads the watched PTEs in each.</summary>
    private sealed class RecordingOps(VirtAddr[] watched) : MmuNotifierOps
    {
        private readonly List<Call> _calls = new();

        public override string Name => "recording";

        /// <summary>When set, invalidate_range_start waits for this actor's reply.</summary>
        public IActorRef? Gate { get; set; }

        public MmuNotifier? Subscription { get; set; }

        /// <summary>Set by unregister when it returns: whether the start callback in flight had completed by then.</summary>
        public bool UnregisterReturnedAfterStart { get; set; }

        public IReadOnlyList<Call> Calls => _calls;

        public List<Call> TakeCalls()
        {
            var taken = new List<Call>(_calls);
            _calls.Clear();
            return taken;
        }

        public override async ActorTask InvalidateRangeStart(KernelContext k, MmuNotifierRange range)
        {
            Assert.Contains(k.HeldLocks, h => h.Lock is NotifierSrcuRef);
            if (Gate is { } gate)
            {
                await k.Actor.Ask<string>(gate, "in invalidate_range_start");
            }

            _calls.Add(new Call("start", k.Cpu.Value, range.Mm, range, await Snapshot(k, range)));
        }

        public override async ActorTask InvalidateRangeEnd(KernelContext k, MmuNotifierRange range)
        {
            Assert.Contains(k.HeldLocks, h => h.Lock is NotifierSrcuRef);
            _calls.Add(new Call("end", k.Cpu.Value, range.Mm, range, await Snapshot(k, range)));
        }

        public override ActorTask Release(KernelContext k, MmId mm)
        {
            _calls.Add(new Call("release", k.Cpu.Value, mm, default, []));
            return ActorTask.CompletedTask;
        }

        private async ActorTask<Pte[]> Snapshot(KernelContext k, MmuNotifierRange range) =>
            await k.Mem("test: read watched PTEs", s => watched
                .Select(a => range.Range.Contains(a) ? s.Mm(range.Mm).Pgd.GetPte(a) : default)
                .ToArray());
    }

    /// <summary>Test system calls that register and unregister a subscriber on the caller's mm.</summary>
    private static class NotifierCalls
    {
        public static void Register()
        {
            ExtraSyscalls.Register<RegisterCall>(async (k, c) =>
            {
                c.Ops.Subscription = await k.MmuNotifierRegister(k.Mm, c.Ops);
                return 0;
            });
            ExtraSyscalls.Register<UnregisterCall>(async (k, c) =>
            {
                await k.MmuNotifierUnregister(c.Ops.Subscription!);
                c.Ops.UnregisterReturnedAfterStart = c.Ops.Calls.Any(call => call.Kind == "start");
                return 0;
            });
        }

        public sealed record RegisterCall(RecordingOps Ops) : Syscall
        {
            public override string Name => "test_mmu_notifier_register";
        }

        public sealed record UnregisterCall(RecordingOps Ops) : Syscall
        {
            public override string Name => "test_mmu_notifier_unregister";
        }
    }
}
