using ShadowPt.Kernel;
using ShadowPt.Spt;
using static ShadowPt.Tests.Spt.SptWorld;

namespace ShadowPt.Tests.Spt;

/// <summary>
/// shadowpt_start while the target runs on another CPU: faults, execve and exit racing with the
/// populate. Whatever the interleaving, tracking ends up on the target's live mm with the table equal
/// to the truth and one notifier registration, or off with nothing registered.
/// </summary>
public sealed class ShadowStartRaceTests
{
    private const int SeedCount = 300;

    [Fact]
    public void StartRacingWithFaultsMissesNoNewPte()
    {
        // A fault holds mmap_lock for read like the populate does; a PTE it maps just after the
        // populate must still reach the table through the PTE hook.
        for (ulong seed = 1; seed <= SeedCount; seed++)
        {
            using var w = new SptWorld(seed);
            (int target, InspectorHandle h) = Opened(w, pages: 8);
            Task<UserResult> start = w.Start(InspectorCpu, h.Pid, new SyscallOp(new ShadowptStartCall()));
            for (int p = 0; p < 8; p++)
            {
                w.Start(TargetCpu, target, new AccessOp(At(p), true, 1));
            }

            w.RunQuiescent(); // the consistency check ran at the quiescent point
            Assert.Equal(0, Ret(start));
            Assert.All(Enumerable.Range(0, 8), p => Assert.Equal(new ShadowPte(At(p).Value, w.PtePfn(target, At(p)), AnonMapped), w.Entry(p)));
        }
    }

    [Fact]
    public void StartRacingWithTheTargetsExitNeverTracksItsDeadMm()
    {
        var results = new HashSet<long>();
        for (ulong seed = 1; seed <= SeedCount; seed++)
        {
            using var w = new SptWorld(seed);
            (int target, InspectorHandle h) = Opened(w, pages: 2);
            Task<UserResult> start = w.Start(InspectorCpu, h.Pid, new SyscallOp(new ShadowptStartCall()));
            w.Start(TargetCpu, target, new SyscallOp(new ExitCall(0)));
            w.RunQuiescent();

            results.Add(Ret(start));
            Assert.True(w.Table.IsOpen);
            Assert.False(w.Table.Tracking, $"seed {seed}: tracking a dead mm");
            Assert.Equal(0, w.Notifiers());
            Assert.All(w.KernelTable(), e => Assert.Equal((0UL, 0UL), (e.Pfn, e.StateFlags)));
            Assert.Equal(0, w.Sys(InspectorCpu, h.Pid, new ShadowptCloseCall()));
            Assert.Equal(0, w.KernelFrames());
        }

        // Both sides of the race happen: start first (then released), and the exit first (-EINVAL).
        Assert.Equal(new HashSet<long> { 0, -22 }, results);
    }

    [Fact]
    public void StartRacingWithTheTargetsExecveTracksTheNewMm()
    {
        for (ulong seed = 1; seed <= SeedCount; seed++)
        {
            using var w = new SptWorld(seed);
            (int target, InspectorHandle h) = Opened(w, pages: 2);
            Task<UserResult> start = w.Start(InspectorCpu, h.Pid, new SyscallOp(new ShadowptStartCall()));
            w.Start(TargetCpu, target, new SyscallOp(new ExecveCall("target2")));
            w.Start(TargetCpu, target, new SyscallOp(new MmapCall(At(1), Page, Prot.Read | Prot.Write, MapFlags.Private | MapFlags.Anonymous | MapFlags.FixedNoReplace)));
            w.RunQuiescent();

            Assert.Equal(0, Ret(start));
            MmStruct mm = w.State.Task(target).Mm!;
            Assert.True(w.Table.Tracking, $"seed {seed}: not tracking after start");
            Assert.Equal(mm.Id, w.Table.TargetMm);
            Assert.Single(mm.Notifiers);
            Assert.Equal(1, w.Notifiers());
            Assert.Equal(new ShadowPte(At(1).Value, 0, AnonUnmapped), w.Entry(1));
            Assert.Equal(new ShadowPte(At(0).Value, 0, 0), w.Entry(0));
        }
    }

    [Fact]
    public void StartAfterTheTargetExecvedWhileStoppedTracksTheNewMm()
    {
        using var w = new SptWorld();
        (int target, InspectorHandle h) = Opened(w, pages: 2);
        Assert.Equal(0, w.Sys(TargetCpu, target, new ExecveCall("target2")));
        w.MapAnon(TargetCpu, target, 1, At(3).Value);

        Assert.Equal(0, w.Sys(InspectorCpu, h.Pid, new ShadowptStartCall()));
        Assert.Equal(w.State.Task(target).Mm!.Id, w.Table.TargetMm);
        w.AssertConsistent(h);
        Assert.Equal(new ShadowPte(At(3).Value, 0, AnonUnmapped), w.Entry(3));
        Assert.Equal(new ShadowPte(At(0).Value, 0, 0), w.Entry(0));
    }

    [Fact]
    public void StopRacingWithTheTargetsExecveLeavesTrackingOff()
    {
        var orders = new HashSet<bool>();
        for (ulong seed = 1; seed <= SeedCount; seed++)
        {
            using var w = new SptWorld(seed);
            (int target, InspectorHandle h) = Opened(w, pages: 2);
            Assert.Equal(0, w.Sys(InspectorCpu, h.Pid, new ShadowptStartCall()));
            Task<UserResult> stop = w.Start(InspectorCpu, h.Pid, new SyscallOp(new ShadowptStopCall()));
            w.Start(TargetCpu, target, new SyscallOp(new ExecveCall("target2")));
            w.RunQuiescent();

            Assert.Equal(0, Ret(stop));
            Assert.False(w.Table.Tracking, $"seed {seed}: tracking after stop returned");
            Assert.Equal(0, w.Notifiers());
            orders.Add(w.Table.TargetMm == w.State.Task(target).Mm!.Id);
        }

        Assert.Equal(2, orders.Count); // the execve came before the stop on some seeds, after on others
    }

    /// <summary>A target with <paramref name="pages"/> pages mapped at <see cref="RangeStart"/> and an inspector that opened (not started) the range.</summary>
    private static (int Target, InspectorHandle Inspector) Opened(SptWorld w, int pages)
    {
        int target = w.Process("target");
        int inspector = w.Process("inspector", superuser: true);
        w.MapAnon(TargetCpu, target, (ulong)pages, RangeStart);
        (InspectorHandle h, long ret) = w.Open(inspector, target, RangeStart, RangeStart + (RangePages * Page));
        Assert.Equal(0, ret);
        return (target, h);
    }
}
