using ShadowPt.Kernel;
using ShadowPt.Spt;
using static ShadowPt.Tests.Spt.SptWorld;
using SptApi = ShadowPt.Spt.Spt;

namespace ShadowPt.Tests.Spt;

/// <summary>
/// Each change the spec asks the table to track, alone: after it the table equals the truth from the
/// target's VMAs and page table (at that quiescent point and through the inspector's own mapping),
/// and the changed entries hold exactly the vaddr, the pfn of the target's PTE, and the flags.
/// </summary>
public sealed class ShadowTrackingTests
{
    private const ulong Allocated = SptApi.SpteVaddrAllocated;

    public static TheoryData<ulong> Seeds() => new(1UL, 2UL, 3UL);

    [Theory]
    [MemberData(nameof(Seeds))]
    public void StartFillsTheTableFromTheTargetsCurrentState(ulong seed)
    {
        using var w = new SptWorld(seed);
        int target = w.Process("target");
        w.MapAnon(TargetCpu, target, 3, At(1).Value);
        w.Poke(TargetCpu, target, At(2), 7);
        InspectorHandle h = w.Track(target);

        AssertTable(w, h, (1, 0, AnonUnmapped), (2, w.PtePfn(target, At(2)), AnonMapped), (3, 0, AnonUnmapped));
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void MmapMarksItsPagesAllocatedAndAnonymous(ulong seed)
    {
        using var w = new SptWorld(seed);
        int target = w.Process("target");
        InspectorHandle h = w.Track(target);
        AssertTable(w, h);

        w.MapAnon(TargetCpu, target, 4, At(2).Value);
        AssertTable(w, h, (2, 0, AnonUnmapped), (3, 0, AnonUnmapped), (4, 0, AnonUnmapped), (5, 0, AnonUnmapped));

        // Straddling the end of the range: only the pages inside it have entries.
        w.MapAnon(TargetCpu, target, 4, At(RangePages - 2).Value);
        AssertTable(w, h, (2, 0, AnonUnmapped), (3, 0, AnonUnmapped), (4, 0, AnonUnmapped), (5, 0, AnonUnmapped), (14, 0, AnonUnmapped), (15, 0, AnonUnmapped));

        // Outside the range: nothing changes.
        w.MapAnon(TargetCpu, target, 4, At(RangePages + 8).Value);
        w.Poke(TargetCpu, target, At(RangePages + 8), 1);
        AssertTable(w, h, (2, 0, AnonUnmapped), (3, 0, AnonUnmapped), (4, 0, AnonUnmapped), (5, 0, AnonUnmapped), (14, 0, AnonUnmapped), (15, 0, AnonUnmapped));
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void AFirstWriteMapsTheWrittenPageOnly(ulong seed)
    {
        using var w = new SptWorld(seed);
        int target = w.Process("target");
        InspectorHandle h = w.Track(target);
        w.MapAnon(TargetCpu, target, 3, At(0).Value);

        w.Poke(TargetCpu, target, At(1) + 0x10, 0x41);
        ulong pfn = w.PtePfn(target, At(1));
        Assert.Equal(FrameKind.Anon, w.State.Frames.Kind(new Pfn(pfn)));
        AssertTable(w, h, (0, 0, AnonUnmapped), (1, pfn, AnonMapped), (2, 0, AnonUnmapped));
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void AReadOfFreshAnonymousMemoryMapsTheZeroPageAndAWriteThenReplacesIt(ulong seed)
    {
        using var w = new SptWorld(seed);
        int target = w.Process("target");
        InspectorHandle h = w.Track(target);
        w.MapAnon(TargetCpu, target, 2, At(0).Value);

        Assert.Equal(0, w.Peek(TargetCpu, target, At(1) + 3));
        AssertTable(w, h, (0, 0, AnonUnmapped), (1, FrameAllocator.ZeroPfn.Value, AnonMapped));

        w.Poke(TargetCpu, target, At(1) + 3, 9); // copy-on-write of the zero page
        ulong pfn = w.PtePfn(target, At(1));
        Assert.NotEqual(FrameAllocator.ZeroPfn.Value, pfn);
        AssertTable(w, h, (0, 0, AnonUnmapped), (1, pfn, AnonMapped));
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void MunmapClearsItsPagesEntirely(ulong seed)
    {
        using var w = new SptWorld(seed);
        int target = w.Process("target");
        InspectorHandle h = w.Track(target);
        w.MapAnon(TargetCpu, target, 4, At(0).Value);
        for (int p = 0; p < 4; p++)
        {
            w.Poke(TargetCpu, target, At(p), (byte)p);
        }

        ulong first = w.PtePfn(target, At(0));
        ulong last = w.PtePfn(target, At(3));
        ulong middle = w.PtePfn(target, At(1));
        Assert.Equal(0, w.Sys(TargetCpu, target, new MunmapCall(At(1), 2 * Page)));

        AssertTable(w, h, (0, first, AnonMapped), (3, last, AnonMapped));
        Assert.False(w.State.Frames.IsAllocated(new Pfn(middle)));
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void BrkGrowsAndShrinksTheHeapEntries(ulong seed)
    {
        using var w = new SptWorld(seed);
        int target = w.Process("target");
        VirtAddr heap = w.State.Task(target).Mm!.StartBrk;
        InspectorHandle h = w.Track(target, start: heap.Value);
        AssertTable(w, h);

        Assert.Equal((long)(heap + (3 * Page)).Value, w.Sys(TargetCpu, target, new BrkCall(heap + (3 * Page))));
        AssertTable(w, h, (0, 0, AnonUnmapped), (1, 0, AnonUnmapped), (2, 0, AnonUnmapped));

        w.Poke(TargetCpu, target, heap + Page, 1);
        w.Poke(TargetCpu, target, heap + (2 * Page), 2);
        ulong pfn = w.PtePfn(target, heap + Page);
        AssertTable(w, h, (0, 0, AnonUnmapped), (1, pfn, AnonMapped), (2, w.PtePfn(target, heap + (2 * Page)), AnonMapped));

        Assert.Equal((long)(heap + 1).Value, w.Sys(TargetCpu, target, new BrkCall(heap + 1)));
        AssertTable(w, h, (0, 0, AnonUnmapped));

        Assert.Equal((long)heap.Value, w.Sys(TargetCpu, target, new BrkCall(heap)));
        AssertTable(w, h);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void MadviseDontneedUnmapsButKeepsThePagesAllocated(ulong seed)
    {
        using var w = new SptWorld(seed);
        int target = w.Process("target");
        InspectorHandle h = w.Track(target);
        w.MapAnon(TargetCpu, target, 3, At(0).Value);
        w.Poke(TargetCpu, target, At(0), 1);
        w.Poke(TargetCpu, target, At(1), 2);
        ulong kept = w.PtePfn(target, At(0));
        ulong dropped = w.PtePfn(target, At(1));

        Assert.Equal(0, w.Sys(TargetCpu, target, new MadviseDontneedCall(At(1), 2 * Page)));
        AssertTable(w, h, (0, kept, AnonMapped), (1, 0, AnonUnmapped), (2, 0, AnonUnmapped));
        Assert.False(w.State.Frames.IsAllocated(new Pfn(dropped)));
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void MprotectChangesNoEntry(ulong seed)
    {
        using var w = new SptWorld(seed);
        int target = w.Process("target");
        InspectorHandle h = w.Track(target);
        w.MapAnon(TargetCpu, target, 3, At(0).Value);
        w.Poke(TargetCpu, target, At(0), 1);
        w.Poke(TargetCpu, target, At(1), 2);
        (int, ulong, ulong)[] before = [(0, w.PtePfn(target, At(0)), AnonMapped), (1, w.PtePfn(target, At(1)), AnonMapped), (2, 0, AnonUnmapped)];

        Assert.Equal(0, w.Sys(TargetCpu, target, new MprotectCall(At(1), Page, Prot.Read)));
        Assert.Equal(3, w.State.Task(target).Mm!.Vmas.All.Count(v => v.VmStart >= At(0) && v.VmEnd <= At(3))); // split in three
        AssertTable(w, h, before);

        // PROT_NONE keeps the page mapped (a PROT_NONE PTE is still present) and allocated.
        Assert.Equal(0, w.Sys(TargetCpu, target, new MprotectCall(At(0), 3 * Page, Prot.None)));
        AssertTable(w, h, before);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void StackGrowthOfAGrowsDownVmaIsTrackedForEveryPageItGrew(ulong seed)
    {
        using var w = new SptWorld(seed);
        int target = w.Process("target");
        InspectorHandle h = w.Track(target);
        w.MapAnon(TargetCpu, target, 2, At(8).Value, MapFlags.GrowsDown);
        AssertTable(w, h, (8, 0, AnonUnmapped), (9, 0, AnonUnmapped));

        w.Poke(TargetCpu, target, At(7) + 0x100, 1); // one page below: grows by one
        Assert.Equal(At(7), w.State.Task(target).Mm!.Vmas.VmaLookup(At(8))!.VmStart);
        AssertTable(w, h, (7, w.PtePfn(target, At(7)), AnonMapped), (8, 0, AnonUnmapped), (9, 0, AnonUnmapped));

        w.Poke(TargetCpu, target, At(4) + 8, 2); // three pages below: grows by three, maps one
        Assert.Equal(At(4), w.State.Task(target).Mm!.Vmas.VmaLookup(At(8))!.VmStart);
        AssertTable(
            w,
            h,
            (4, w.PtePfn(target, At(4)), AnonMapped),
            (5, 0, AnonUnmapped),
            (6, 0, AnonUnmapped),
            (7, w.PtePfn(target, At(7)), AnonMapped),
            (8, 0, AnonUnmapped),
            (9, 0, AnonUnmapped));
    }

    [Fact]
    public void WithStackGrowthUntrackedTheGrownPagesWithoutAPteAreMissed()
    {
        // The check can fail: the same growth with the hook switched off leaves entries 5 to 7 behind.
        using var w = new SptWorld(variants: [Variants.StackGrowthUntracked], checkConsistency: false);
        int target = w.Process("target");
        InspectorHandle h = w.Track(target);
        w.MapAnon(TargetCpu, target, 2, At(8).Value, MapFlags.GrowsDown);
        w.Poke(TargetCpu, target, At(4) + 8, 2);

        (int Index, ShadowPte Expected, ShadowPte Found)[] differences = [.. ShadowTruth.Differences(w.State)];
        Assert.Equal(new[] { 5, 6, 7 }, differences.Select(d => d.Index));
        Assert.All(differences, d => Assert.Equal((AnonUnmapped, 0UL), (d.Expected.StateFlags, d.Found.StateFlags)));
        Assert.Equal(AnonMapped, w.Entry(4).StateFlags); // the faulting page itself is caught by the PTE hook
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void ACopyOnWriteAfterForkChangesTheTargetsPfnOnlyWhenTheTargetWrites(ulong seed)
    {
        using var w = new SptWorld(seed, cpus: 3);
        int target = w.Process("target");
        InspectorHandle h = w.Track(target);
        w.MapAnon(TargetCpu, target, 2, At(0).Value);
        w.Poke(TargetCpu, target, At(0), 1);
        w.Poke(TargetCpu, target, At(1), 2);
        ulong a0 = w.PtePfn(target, At(0));
        ulong a1 = w.PtePfn(target, At(1));

        int child = (int)w.Sys(TargetCpu, target, new ForkCall());
        Assert.True(child > target);
        AssertTable(w, h, (0, a0, AnonMapped), (1, a1, AnonMapped)); // write-protected, same frames
        Assert.Equal(2, w.State.Frames.PageMapCount(new Pfn(a0)));

        // The target writes a page it shares with the child: it gets a copy.
        w.Poke(TargetCpu, target, At(0), 3);
        ulong b0 = w.PtePfn(target, At(0));
        Assert.NotEqual(a0, b0);
        Assert.Equal(a0, w.PtePfn(child, At(0)));
        AssertTable(w, h, (0, b0, AnonMapped), (1, a1, AnonMapped));

        // The child writes the other shared page: the child's copy; the target's entry stays, and the
        // target's later write reuses its now exclusive page in place.
        w.Poke(2, child, At(1), 4);
        Assert.NotEqual(a1, w.PtePfn(child, At(1)));
        AssertTable(w, h, (0, b0, AnonMapped), (1, a1, AnonMapped));
        w.Poke(TargetCpu, target, At(1), 5);
        AssertTable(w, h, (0, b0, AnonMapped), (1, a1, AnonMapped));

        // Only the target's mm is watched.
        Assert.Single(w.State.Task(target).Mm!.Notifiers);
        Assert.Empty(w.State.Task(child).Mm!.Notifiers);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void AfterExecveTheTableFollowsTheTargetsNewMm(ulong seed)
    {
        using var w = new SptWorld(seed);
        int target = w.Process("target");
        InspectorHandle h = w.Track(target);
        w.MapAnon(TargetCpu, target, 2, At(0).Value);
        w.Poke(TargetCpu, target, At(0), 1);
        ulong old = w.PtePfn(target, At(0));
        MmId oldMm = w.State.Task(target).Mm!.Id;

        Assert.Equal(0, w.Sys(TargetCpu, target, new ExecveCall("target2")));
        MmStruct fresh = w.State.Task(target).Mm!;
        Assert.NotEqual(oldMm, fresh.Id);
        Assert.Equal(fresh.Id, w.Table.TargetMm);
        Assert.True(w.State.FindMm(oldMm)!.IsDead);
        Assert.False(w.State.Frames.IsAllocated(new Pfn(old)));
        AssertTable(w, h); // nothing there in the new address space
        Assert.Single(fresh.Notifiers);
        Assert.Equal(1, w.Notifiers());

        // The new mm is tracked like the old one was.
        w.MapAnon(TargetCpu, target, 2, At(3).Value);
        w.Poke(TargetCpu, target, At(4), 2);
        AssertTable(w, h, (3, 0, AnonUnmapped), (4, w.PtePfn(target, At(4)), AnonMapped));
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void WhenTheTargetExitsReleaseClearsEveryEntryAndEndsTracking(ulong seed)
    {
        using var w = new SptWorld(seed);
        int target = w.Process("target");
        InspectorHandle h = w.Track(target);
        w.MapAnon(TargetCpu, target, 2, At(0).Value);
        w.Poke(TargetCpu, target, At(0), 1);
        Assert.Equal(AnonMapped, w.Entry(0).StateFlags);

        Assert.Equal(0, w.Sys(TargetCpu, target, new ExitCall(0)));
        Assert.True(w.Table.IsOpen);
        Assert.False(w.Table.Tracking);
        Assert.Equal(0, w.Notifiers());
        ShadowPte[] cleared = Enumerable.Range(0, RangePages).Select(i => new ShadowPte(At(i).Value, 0, 0)).ToArray();
        Assert.Equal(cleared, w.KernelTable());
        Assert.Equal(cleared, w.ReadAsInspector(h, RangePages));

        // The inspector can still stop and close as usual, and nothing is left.
        Assert.Equal(0, w.Sys(InspectorCpu, h.Pid, new ShadowptStopCall()));
        Assert.Equal(0, w.Sys(InspectorCpu, h.Pid, new ShadowptCloseCall()));
        Assert.Equal(0, w.KernelFrames());
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void NothingIsTrackedBetweenStopAndStartAndStartResetsTheTable(ulong seed)
    {
        using var w = new SptWorld(seed);
        int target = w.Process("target");
        InspectorHandle h = w.Track(target);
        w.MapAnon(TargetCpu, target, 2, At(0).Value);
        w.Poke(TargetCpu, target, At(0), 1);
        ulong pfn = w.PtePfn(target, At(0));

        Assert.Equal(0, w.Sys(InspectorCpu, h.Pid, new ShadowptStopCall()));
        Assert.Equal(0, w.Notifiers());
        Assert.Equal(0, w.Sys(TargetCpu, target, new MadviseDontneedCall(At(0), Page)));
        w.MapAnon(TargetCpu, target, 1, At(5).Value);
        w.Poke(TargetCpu, target, At(1), 1);

        // Stale: the table still shows the state at stop.
        ShadowPte[] stale = w.KernelTable();
        Assert.Equal(new ShadowPte(At(0).Value, pfn, AnonMapped), stale[0]);
        Assert.Equal(new ShadowPte(At(1).Value, 0, AnonUnmapped), stale[1]);
        Assert.Equal(new ShadowPte(At(5).Value, 0, 0), stale[5]);

        Assert.Equal(0, w.Sys(InspectorCpu, h.Pid, new ShadowptStartCall()));
        AssertTable(w, h, (0, 0, AnonUnmapped), (1, w.PtePfn(target, At(1)), AnonMapped), (5, 0, AnonUnmapped));
        Assert.Equal(1, w.Notifiers());

        // A second start while tracking resets again and keeps the one registration.
        Assert.Equal(0, w.Sys(InspectorCpu, h.Pid, new ShadowptStartCall()));
        Assert.Equal(1, w.Notifiers());
        AssertTable(w, h, (0, 0, AnonUnmapped), (1, w.PtePfn(target, At(1)), AnonMapped), (5, 0, AnonUnmapped));
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void ASharedAnonymousMappingIsAllocatedButNotAnonymous(ulong seed)
    {
        using var w = new SptWorld(seed);
        int target = w.Process("target");
        InspectorHandle h = w.Track(target);
        long at = w.Sys(TargetCpu, target, new MmapCall(At(2), Page, Prot.Read | Prot.Write, MapFlags.Shared | MapFlags.Anonymous | MapFlags.FixedNoReplace));
        Assert.Equal((long)At(2).Value, at);
        AssertTable(w, h, (2, 0, Allocated));

        w.Poke(TargetCpu, target, At(2), 1);
        ulong pfn = w.PtePfn(target, At(2));
        Assert.Equal(FrameKind.PageCache, w.State.Frames.Kind(new Pfn(pfn)));
        AssertTable(w, h, (2, pfn, Allocated | SptApi.SptePteMapped));
    }

    /// <summary>
    /// The table is consistent and every entry is exactly (vaddr, 0, 0) except those in
    /// <paramref name="entries"/>, given as (page index, pfn, flags).
    /// </summary>
    private static void AssertTable(SptWorld w, InspectorHandle h, params (int Page, ulong Pfn, ulong Flags)[] entries)
    {
        w.AssertConsistent(h);
        ShadowPte[] expected = Enumerable.Range(0, RangePages).Select(i => new ShadowPte(w.Table.Start.Value + ((ulong)i * Page), 0, 0)).ToArray();
        foreach ((int page, ulong pfn, ulong flags) in entries)
        {
            expected[page] = expected[page] with { Pfn = pfn, StateFlags = flags };
        }

        Assert.Equal(expected, w.KernelTable());
    }
}
