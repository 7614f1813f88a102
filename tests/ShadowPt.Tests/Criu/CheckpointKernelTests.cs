using ShadowPt.Criu;
using ShadowPt.Kernel;

namespace ShadowPt.Tests.Criu;

public sealed class CheckpointKernelTests
{
    [Fact]
    public void A_full_dump_restores_into_a_new_process_with_equal_layout_and_contents()
    {
        using var w = new CriuWorld();
        SetUpTarget(w);
        w.Freeze();
        CheckpointImage image = w.Dump("1", null, final: true);

        // Present and swapped pages are listed; the zero page (page 4, only read) is not.
        Assert.Contains(image.Pages, p => p.Address == w.Page(3).Value);
        Assert.DoesNotContain(image.Pages, p => p.Address == w.Page(4).Value);
        Assert.All(image.Pages, p => Assert.False(p.InParent));

        RestoreDone done = w.Restore("1");
        Assert.Null(done.Error);
        MemorySnapshot source = w.Snapshot(w.Target);
        MemorySnapshot restored = w.Snapshot(w.Restored);
        Assert.Null(source.Difference(restored));
        Assert.Null(source.Difference(done.Snapshot!));
        Assert.Equal(6, restored.Pages.Count(p => p.Key >= CriuWorld.Data.Value && p.Key < w.Page(8).Value));
        Assert.Contains(restored.Vmas, v => v.Start == w.Page(6).Value && v.Read && !v.Write); // the read-only tail keeps its protection
        Assert.Equal(0x33, w.Sim.Read(w.Restored, 1, w.Page(3))); // the swapped page came back with its contents
    }

    [Fact]
    public void An_incremental_dump_holds_exactly_the_soft_dirty_pages_and_the_chain_restores()
    {
        using var w = new CriuWorld();
        SetUpTarget(w);
        CheckpointImage full = w.Dump("1", null, final: false);
        Assert.Equal(full.Pages.Count, full.PagesWritten);

        w.Sim.Write(w.Target, 0, w.Page(2), 0x52);
        w.Sim.Write(w.Target, 0, w.Page(5), 0x55);
        Assert.Equal(0, w.Sim.Sys(w.Target, 0, new MadvisePageoutCall(null, w.Page(5), PageGeometry.PageSize)));
        ulong[] softDirty = ProcessMemory.SoftDirtyPages(w.Sim.State, w.Target, new AddrRange(CriuWorld.Data, w.Page(8))).Select(a => a.Value).ToArray();
        Assert.True(softDirty.SequenceEqual([w.Page(2).Value, w.Page(5).Value]), string.Join(",", softDirty.Select(a => a.ToString("x"))));

        CheckpointImage second = w.Dump("2", "1", final: false);
        Assert.Equal(softDirty, second.Pages.Where(p => !p.InParent).Select(p => p.Address).ToArray());
        Assert.Equal(full.Pages.Select(p => p.Address).Append(w.Page(5).Value).Order(), second.Pages.Select(p => p.Address)); // page 5 is new
        Assert.Equal(0x55, second.Contents[1][0]); // read from the swap slot

        w.Sim.Write(w.Target, 0, w.Page(0), 0x60); // after the second dump's clear: in the third
        w.Freeze();
        CheckpointImage third = w.Dump("3", "2", final: true);
        Assert.Equal([w.Page(0).Value], third.Pages.Where(p => !p.InParent).Select(p => p.Address).ToArray());

        RestoreDone done = w.Restore("3");
        Assert.Null(done.Error);
        Assert.Null(w.Snapshot(w.Target).Difference(w.Snapshot(w.Restored)));
        Assert.Equal(0x60, w.Sim.Read(w.Restored, 1, w.Page(0)));
        Assert.Equal(0x52, w.Sim.Read(w.Restored, 1, w.Page(2)));
    }

    [Fact]
    public void A_restore_differs_when_a_page_was_written_after_the_last_dump()
    {
        using var w = new CriuWorld();
        SetUpTarget(w);
        w.Dump("1", null, final: false);
        w.Sim.Write(w.Target, 0, w.Page(1), 0x77); // not dumped again
        w.Restore("1");
        string? difference = w.Snapshot(w.Target).Difference(w.Snapshot(w.Restored));
        Assert.NotNull(difference);
        Assert.Contains($"page 0x{w.Page(1).Value:x} differs", difference, StringComparison.Ordinal);
    }

    [Fact]
    public void The_freezer_reports_frozen_only_once_the_task_entered_the_refrigerator()
    {
        using var w = new CriuWorld();
        Assert.Equal(0, w.Sim.Sys(w.Target, 0, new TryToFreezeCall())); // nobody asked
        Assert.Equal(0, w.Sim.Sys(w.Criu, 1, new FreezeCall(w.Target)));
        Assert.Equal(0, w.Sim.Sys(w.Criu, 1, new FreezeCall(w.Target)));
        Assert.Equal(1, w.Sim.Sys(w.Target, 0, new TryToFreezeCall()));
        Assert.Equal(1, w.Sim.Sys(w.Criu, 1, new FreezeCall(w.Target)));
        Assert.Equal(-(long)Errno.ESRCH, w.Sim.Sys(w.Criu, 1, new FreezeCall(999)));
    }

    /// <summary>8 pages at Data: 0-3 written (3 then paged out), 4 only read (zero page), 6-7 written then made read-only; and a shared page elsewhere.</summary>
    private static void SetUpTarget(CriuWorld w)
    {
        Assert.Equal((long)CriuWorld.Data.Value, w.Sim.Sys(w.Target, 0, new MmapCall(CriuWorld.Data, 8 * PageGeometry.PageSize, Prot.Read | Prot.Write, MapFlags.Private | MapFlags.Anonymous | MapFlags.FixedNoReplace)));
        for (int i = 0; i < 4; i++)
        {
            w.Sim.Write(w.Target, 0, w.Page(i), (byte)(0x30 + i));
        }

        w.Sim.Write(w.Target, 0, w.Page(6), 0x36);
        w.Sim.Write(w.Target, 0, w.Page(7), 0x37);
        Assert.Equal(0, w.Sim.Read(w.Target, 0, w.Page(4)));
        Assert.Equal(0, w.Sim.Sys(w.Target, 0, new MprotectCall(w.Page(6), 2 * PageGeometry.PageSize, Prot.Read)));
        Assert.Equal(0, w.Sim.Sys(w.Target, 0, new MadvisePageoutCall(null, w.Page(3), PageGeometry.PageSize)));
        var shared = new VirtAddr(0x28000000);
        Assert.Equal((long)shared.Value, w.Sim.Sys(w.Target, 0, new MmapCall(shared, PageGeometry.PageSize, Prot.Read | Prot.Write, MapFlags.Shared | MapFlags.Anonymous | MapFlags.FixedNoReplace)));
        w.Sim.Write(w.Target, 0, shared, 0x5a);
    }
}
