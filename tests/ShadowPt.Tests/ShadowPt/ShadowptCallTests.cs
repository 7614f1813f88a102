using ShadowPt.Kernel;
using ShadowPt.Spt;
using static ShadowPt.Tests.Spt.SptWorld;

namespace ShadowPt.Tests.Spt;

/// <summary>
/// shadowpt_start, shadowpt_stop, shadowpt_close (only the opener) and shadowpt_page_contents (only a
/// superuser, while tracking, for a pfn the target maps inside the range): every error case with its
/// exact return value, and what the successful calls do.
/// </summary>
public sealed class ShadowptCallTests
{
    private static readonly ulong RangeEnd = RangeStart + (RangePages * Page);

    // ---- start, stop, close: only the opener ----

    [Fact]
    public void StartStopAndCloseWithNothingOpenAreEinval()
    {
        using var w = new SptWorld();
        int inspector = w.Process("inspector", superuser: true);
        Assert.Equal(Einval, w.Sys(InspectorCpu, inspector, new ShadowptStartCall()));
        Assert.Equal(Einval, w.Sys(InspectorCpu, inspector, new ShadowptStopCall()));
        Assert.Equal(Einval, w.Sys(InspectorCpu, inspector, new ShadowptCloseCall()));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void OnlyTheOpenerMayStartStopAndClose(bool otherIsSuperuser)
    {
        using var w = new SptWorld();
        int target = w.Process("target");
        int inspector = w.Process("inspector", superuser: true);
        int other = w.Process("other", superuser: otherIsSuperuser);
        Assert.Equal(0, w.Open(inspector, target, RangeStart, RangeEnd).Ret);

        Assert.Equal(Eperm, w.Sys(TargetCpu, other, new ShadowptStartCall()));
        Assert.False(w.Table.Tracking);
        Assert.Equal(0, w.Sys(InspectorCpu, inspector, new ShadowptStartCall()));
        Assert.Equal(Eperm, w.Sys(TargetCpu, other, new ShadowptStopCall()));
        Assert.True(w.Table.Tracking);
        Assert.Equal(Eperm, w.Sys(TargetCpu, other, new ShadowptCloseCall()));
        Assert.True(w.Table.IsOpen);
        Assert.Equal(Eperm, w.Sys(TargetCpu, target, new ShadowptCloseCall()));

        Assert.Equal(0, w.Sys(InspectorCpu, inspector, new ShadowptStopCall()));
        Assert.False(w.Table.Tracking);
        Assert.Equal(0, w.Sys(InspectorCpu, inspector, new ShadowptCloseCall()));
        Assert.False(w.Table.IsOpen);

        // Closed: the former opener is now like anyone else.
        Assert.Equal(Einval, w.Sys(InspectorCpu, inspector, new ShadowptStartCall()));
        Assert.Equal(Einval, w.Sys(InspectorCpu, inspector, new ShadowptCloseCall()));
    }

    [Fact]
    public void CloseWhileTrackingNeedsNoStopAndLeavesNothingBehind()
    {
        using var w = new SptWorld();
        int target = w.Process("target");
        w.MapAnon(TargetCpu, target, 2, RangeStart);
        InspectorHandle h = w.Track(target);
        Assert.Equal(1, w.Notifiers());

        Assert.Equal(0, w.Sys(InspectorCpu, h.Pid, new ShadowptCloseCall()));
        Assert.False(w.Table.IsOpen);
        Assert.Equal(0, w.Notifiers());
        Assert.Equal(0, w.KernelFrames());

        // As if open had never happened: the entries range is a plain anonymous mapping again, and a
        // load there faults in a fresh zero-filled page instead of reaching a freed table frame.
        MmStruct mm = w.State.Task(h.Pid).Mm!;
        VmArea vma = mm.Vmas.VmaLookup(h.Entries)!;
        Assert.Equal(0UL, (ulong)(vma.VmFlags & VmFlagSets.Special));
        Assert.True(vma.IsAnonymous);
        Assert.Equal((h.Entries, h.Header + Page), (vma.VmStart, vma.VmEnd)); // merged back with the header mapping
        Assert.True(mm.Pgd.GetPte(h.Entries).IsNone);
        Assert.Equal(0UL, w.Load(InspectorCpu, h.Pid, h.Entries));
    }

    // ---- shadowpt_page_contents ----

    [Fact]
    public void PageContentsCopiesExactlyWhatTheTargetWrote()
    {
        using var w = new SptWorld();
        int target = w.Process("target");
        VirtAddr data = w.MapAnon(TargetCpu, target, 2, RangeStart);
        w.Store(TargetCpu, target, data, 0x1122334455667788);
        w.Store(TargetCpu, target, data + 0x808, 0xdeadbeef);
        w.Poke(TargetCpu, target, data + 0xfff, 0x5a);
        InspectorHandle h = w.Track(target);
        VirtAddr buffer = w.MapAnon(InspectorCpu, h.Pid, 1);
        ulong pfn = w.PtePfn(target, data);

        Assert.Equal(0, w.Sys(InspectorCpu, h.Pid, new ShadowptPageContentsCall(pfn, buffer)));
        for (int word = 0; word < (int)(Page / 8); word++)
        {
            ulong expected = word switch
            {
                0 => 0x1122334455667788,
                0x808 / 8 => 0xdeadbeef,
                511 => 0x5aUL << 56,
                _ => 0,
            };
            Assert.Equal(expected, w.Load(InspectorCpu, h.Pid, buffer + ((ulong)word * 8)));
        }
    }

    [Fact]
    public void PageContentsIsForAnySuperuserButNotForOthers()
    {
        using var w = new SptWorld(cpus: 3);
        int target = w.Process("target");
        VirtAddr data = w.MapAnon(TargetCpu, target, 1, RangeStart);
        w.Store(TargetCpu, target, data, 42);
        w.Track(target);
        ulong pfn = w.PtePfn(target, data);
        int root = w.Process("root", superuser: true);
        int user = w.Process("user", superuser: false);
        VirtAddr rootBuffer = w.MapAnon(2, root, 1);
        VirtAddr userBuffer = w.MapAnon(2, user, 1);

        Assert.Equal(Eperm, w.Sys(2, user, new ShadowptPageContentsCall(pfn, userBuffer)));
        Assert.Equal(0UL, w.Load(2, user, userBuffer));
        Assert.Equal(0, w.Sys(2, root, new ShadowptPageContentsCall(pfn, rootBuffer)));
        Assert.Equal(42UL, w.Load(2, root, rootBuffer));
    }

    [Fact]
    public void PageContentsNeedsTrackingToBeActive()
    {
        using var w = new SptWorld();
        int target = w.Process("target");
        VirtAddr data = w.MapAnon(TargetCpu, target, 1, RangeStart);
        w.Store(TargetCpu, target, data, 42);
        int inspector = w.Process("inspector", superuser: true);
        VirtAddr buffer = w.MapAnon(InspectorCpu, inspector, 1);
        ulong pfn = w.PtePfn(target, data);

        Assert.Equal(Einval, w.Sys(InspectorCpu, inspector, new ShadowptPageContentsCall(pfn, buffer))); // nothing open
        Assert.Equal(0, w.Open(inspector, target, RangeStart, RangeEnd).Ret);
        Assert.Equal(Einval, w.Sys(InspectorCpu, inspector, new ShadowptPageContentsCall(pfn, buffer))); // open, not started
        Assert.Equal(0, w.Sys(InspectorCpu, inspector, new ShadowptStartCall()));
        Assert.Equal(0, w.Sys(InspectorCpu, inspector, new ShadowptPageContentsCall(pfn, buffer)));
        Assert.Equal(0, w.Sys(InspectorCpu, inspector, new ShadowptStopCall()));
        Assert.Equal(Einval, w.Sys(InspectorCpu, inspector, new ShadowptPageContentsCall(pfn, buffer))); // stopped
        Assert.Equal(0, w.Sys(InspectorCpu, inspector, new ShadowptStartCall()));
        Assert.Equal(0, w.Sys(InspectorCpu, inspector, new ShadowptPageContentsCall(pfn, buffer))); // started again
    }

    [Fact]
    public void PageContentsOfAPfnTheTargetDoesNotMapInTheRangeIsEinval()
    {
        using var w = new SptWorld();
        int target = w.Process("target");
        VirtAddr inside = w.MapAnon(TargetCpu, target, 2, RangeStart);
        VirtAddr outside = w.MapAnon(TargetCpu, target, 1, RangeEnd + (4 * Page));
        w.Store(TargetCpu, target, inside, 1);
        w.Store(TargetCpu, target, outside, 2);
        InspectorHandle h = w.Track(target);
        VirtAddr buffer = w.MapAnon(InspectorCpu, h.Pid, 1);
        w.Store(InspectorCpu, h.Pid, buffer, 0x77);
        ulong mappedInside = w.PtePfn(target, inside);
        ulong mappedOutside = w.PtePfn(target, outside);
        ulong inspectorsOwn = w.PtePfn(h.Pid, buffer);
        ulong free = Enumerable.Range(2, w.State.Frames.FrameCount - 2).Select(p => (ulong)p).First(p => !w.State.Frames.IsAllocated(new Pfn(p)));

        Assert.Equal(Einval, w.Sys(InspectorCpu, h.Pid, new ShadowptPageContentsCall(mappedOutside, buffer)));
        Assert.Equal(Einval, w.Sys(InspectorCpu, h.Pid, new ShadowptPageContentsCall(inspectorsOwn, buffer)));
        Assert.Equal(Einval, w.Sys(InspectorCpu, h.Pid, new ShadowptPageContentsCall(free, buffer)));
        Assert.Equal(Einval, w.Sys(InspectorCpu, h.Pid, new ShadowptPageContentsCall(w.Table.Frames[0].Value, buffer)));
        Assert.Equal(Einval, w.Sys(InspectorCpu, h.Pid, new ShadowptPageContentsCall(1UL << 40, buffer)));
        Assert.Equal(0x77UL, w.Load(InspectorCpu, h.Pid, buffer)); // nothing copied by a refused call

        // Unmapped from the range: refused again, though the frame was just mapped.
        Assert.Equal(0, w.Sys(InspectorCpu, h.Pid, new ShadowptPageContentsCall(mappedInside, buffer)));
        Assert.Equal(0, w.Sys(TargetCpu, target, new MadviseDontneedCall(inside, Page)));
        Assert.Equal(Einval, w.Sys(InspectorCpu, h.Pid, new ShadowptPageContentsCall(mappedInside, buffer)));
    }

    [Fact]
    public void PageContentsIntoABadBufferIsEfault()
    {
        using var w = new SptWorld();
        int target = w.Process("target");
        VirtAddr data = w.MapAnon(TargetCpu, target, 1, RangeStart);
        w.Store(TargetCpu, target, data, 1);
        InspectorHandle h = w.Track(target);
        Assert.Equal(Efault, w.Sys(InspectorCpu, h.Pid, new ShadowptPageContentsCall(w.PtePfn(target, data), new VirtAddr(0x30000000))));
    }

    [Fact]
    public void PageContentsAfterTheTargetExitedIsEinval()
    {
        using var w = new SptWorld();
        int target = w.Process("target");
        VirtAddr data = w.MapAnon(TargetCpu, target, 1, RangeStart);
        w.Store(TargetCpu, target, data, 1);
        InspectorHandle h = w.Track(target);
        ulong pfn = w.PtePfn(target, data);
        VirtAddr buffer = w.MapAnon(InspectorCpu, h.Pid, 1);
        Assert.Equal(0, w.Sys(TargetCpu, target, new ExitCall(0)));

        Assert.Equal(Einval, w.Sys(InspectorCpu, h.Pid, new ShadowptPageContentsCall(pfn, buffer)));
    }
}
