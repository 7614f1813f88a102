using ShadowPt.Kernel;
using ShadowPt.Spt;
using static ShadowPt.Tests.Spt.SptWorld;

namespace ShadowPt.Tests.Spt;

/// <summary>
/// Close and the inspector's exit when the inspector did more with its entries mapping than read it:
/// forked, unmapped it, mapped something else there. The table's frames must never be reachable after
/// they are freed, and nothing but the table's own mapping may be torn down.
/// </summary>
public sealed class ShadowCloseTests
{
    [Fact]
    public void AChildForkedByTheInspectorDoesNotInheritTheTable()
    {
        using var w = new SptWorld(cpus: 3);
        int target = w.Process("target");
        w.MapAnon(TargetCpu, target, 1, RangeStart);
        InspectorHandle h = w.Track(target);
        int child = (int)w.Sys(InspectorCpu, h.Pid, new ForkCall());
        Assert.True(child > 0);

        // VM_DONTCOPY: the child has a hole where the table is mapped in its parent.
        Assert.Null(w.State.Task(child).Mm!.Vmas.VmaLookup(h.Entries));
        Assert.Equal(0, w.Sys(InspectorCpu, h.Pid, new ShadowptCloseCall()));
        Assert.Equal(0, w.KernelFrames());
        UserResult load = w.Do(2, child, new WordAccessOp(h.Entries, false, 0)); // would read a freed frame if inherited
        Assert.True(load.Segv);

        ExitAll(w, target, h.Pid, child);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ClosingAfterTheInspectorMappedOtherMemoryOverItsEntriesLeavesThatMemoryAlone(bool close)
    {
        using var w = new SptWorld();
        int target = w.Process("target");
        w.MapAnon(TargetCpu, target, 1, RangeStart);
        InspectorHandle h = w.Track(target);
        Assert.Equal(0, w.Sys(InspectorCpu, h.Pid, new MunmapCall(h.Entries, Page)));
        long again = w.Sys(InspectorCpu, h.Pid, new MmapCall(h.Entries, Page, Prot.Read | Prot.Write, MapFlags.Private | MapFlags.Anonymous | MapFlags.Fixed));
        Assert.Equal((long)h.Entries.Value, again);
        w.Store(InspectorCpu, h.Pid, h.Entries, 0x99);
        ulong page = w.PtePfn(h.Pid, h.Entries);

        if (close)
        {
            Assert.Equal(0, w.Sys(InspectorCpu, h.Pid, new ShadowptCloseCall()));
            Assert.Equal(page, w.PtePfn(h.Pid, h.Entries));
            Assert.Equal(0x99UL, w.Load(InspectorCpu, h.Pid, h.Entries));
        }

        Assert.Equal(0, w.Sys(InspectorCpu, h.Pid, new ExitCall(0)));
        Assert.False(w.Table.IsOpen);
        Assert.Equal(0, w.KernelFrames());
        Assert.False(w.State.Frames.IsAllocated(new Pfn(page)));
        ExitAll(w, target);
    }

    [Fact]
    public void ClosingAfterTheInspectorUnmappedItsEntriesFreesTheTable()
    {
        using var w = new SptWorld();
        int target = w.Process("target");
        InspectorHandle h = w.Track(target);
        Assert.Equal(0, w.Sys(InspectorCpu, h.Pid, new MunmapCall(h.Entries, Page)));
        Assert.Equal(0, w.Sys(InspectorCpu, h.Pid, new ShadowptCloseCall()));
        Assert.Equal(0, w.KernelFrames());
        Assert.Null(w.State.Task(h.Pid).Mm!.Vmas.VmaLookup(h.Entries));
        ExitAll(w, target, h.Pid);
    }

    [Fact]
    public void CloseRestoresAPlainAnonymousMappingAndKeepsTheInspectorsMprotect()
    {
        using var w = new SptWorld();
        int target = w.Process("target");
        InspectorHandle h = w.Track(target);
        Assert.Equal(0, w.Sys(InspectorCpu, h.Pid, new MprotectCall(h.Entries, Page, Prot.Read)));
        Assert.Equal(0, w.Sys(InspectorCpu, h.Pid, new ShadowptCloseCall()));

        VmArea vma = w.State.Task(h.Pid).Mm!.Vmas.VmaLookup(h.Entries)!;
        Assert.Equal((h.Entries, h.Entries + Page), (vma.VmStart, vma.VmEnd)); // read-only now: no merge with the header
        Assert.Equal(VmFlags.None, vma.VmFlags & (VmFlags.PfnMap | VmFlags.Io | VmFlags.DontExpand | VmFlags.DontCopy | VmFlags.DontDump | VmFlags.Write));
        Assert.Equal(h.Entries.Value >> 12, vma.VmPgoff);
        Assert.Equal(0UL, w.Load(InspectorCpu, h.Pid, h.Entries)); // the zero page: a fresh anonymous mapping
        Assert.True(w.Do(InspectorCpu, h.Pid, new WordAccessOp(h.Entries, true, 1)).Segv);
        ExitAll(w, target, h.Pid);
    }

    /// <summary>Every process exits; then no frame may be left allocated.</summary>
    private static void ExitAll(SptWorld w, params int[] pids)
    {
        foreach (int pid in pids)
        {
            if (!w.State.Task(pid).Exited)
            {
                // A task runs where it is current (it never slept to migrate), else on the target's CPU.
                int cpu = w.State.PerCpu.FirstOrDefault(c => c.CurrentPid == pid)?.Cpu.Value ?? TargetCpu;
                w.Do(cpu, pid, new SyscallOp(new ExitCall(0)));
            }
        }

        Assert.Equal(0, w.State.Frames.AllocatedCount);
        w.State.AssertInvariants();
    }
}
