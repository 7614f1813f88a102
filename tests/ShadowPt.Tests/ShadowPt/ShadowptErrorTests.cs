using ShadowPt.Kernel;
using ShadowPt.Spt;
using static ShadowPt.Tests.Spt.SptWorld;
using SptApi = ShadowPt.Spt.Spt;

namespace ShadowPt.Tests.Spt;

/// <summary>
/// Every error case of the spec's five system calls, each with its exact return value, driven as the
/// inspector and target processes would make them (user stores of struct user_shadow_pt, syscalls).
/// </summary>
public sealed class ShadowptErrorTests
{
    private const long Eperm = -1;
    private const long Efault = -14;
    private const long Ebusy = -16;
    private const long Einval = -22;

    private static readonly ulong RangeEnd = RangeStart + (RangePages * Page);

    public static TheoryData<ulong> Seeds() => new(1UL, 2UL, 3UL);

    // ---- shadowpt_open: the target ----

    [Theory]
    [MemberData(nameof(Seeds))]
    public void OpenOfAPidThatNeverExistedIsEinval(ulong seed)
    {
        using var w = new SptWorld(seed);
        int inspector = w.Process("inspector", superuser: true);
        Assert.Equal(Einval, w.Open(inspector, 4242, RangeStart, RangeEnd).Ret);
        Assert.False(w.Table.IsOpen);
        Assert.Equal(0, w.KernelFrames());
    }

    [Fact]
    public void OpenOfAnExitedTargetIsEinval()
    {
        using var w = new SptWorld();
        int target = w.Process("target");
        int inspector = w.Process("inspector", superuser: true);
        Assert.Equal(0, w.Sys(TargetCpu, target, new ExitCall(0)));
        Assert.True(w.State.Task(target).Exited);

        Assert.Equal(Einval, w.Open(inspector, target, RangeStart, RangeEnd).Ret);
        Assert.False(w.Table.IsOpen);
    }

    // ---- shadowpt_open: the range ----

    [Theory]
    [InlineData(RangeStart + Page, RangeStart)] // start > end
    [InlineData(RangeStart, RangeStart)] // start == end: an empty range is refused too (start >= end)
    [InlineData(RangeStart + 8, RangeStart + (4 * Page))] // unaligned start: refused, not rounded
    [InlineData(RangeStart, PageGeometry.TaskSizeMax + Page)] // end beyond the user address space
    public void OpenOfABadRangeIsEinvalAndLeavesNothingBehind(ulong start, ulong end)
    {
        using var w = new SptWorld();
        int target = w.Process("target");
        int inspector = w.Process("inspector", superuser: true);
        (InspectorHandle h, long ret) = w.Open(inspector, target, start, end, entriesPages: 4);

        Assert.Equal(Einval, ret);
        Assert.False(w.Table.IsOpen);
        Assert.Equal(0, w.KernelFrames());

        // The entries range is untouched: unpopulated, inside one plain anonymous VMA (merged with the
        // header mapping just above it, as mmap merges compatible neighbours).
        MmStruct mm = w.State.Task(inspector).Mm!;
        VmArea vma = mm.Vmas.VmaLookup(h.Entries)!;
        Assert.Equal((h.Entries, h.Header + Page), (vma.VmStart, vma.VmEnd));
        Assert.Equal(h.Entries + (4 * Page), h.Header);
        Assert.Equal(0UL, (ulong)(vma.VmFlags & VmFlagSets.Special));
        Assert.All(Enumerable.Range(0, 4), p => Assert.True(mm.Pgd.GetPte(h.Entries + ((ulong)p * Page)).IsNone));
    }

    [Fact]
    public void AnUnalignedEndIsRoundedUpToAWholePage()
    {
        using var w = new SptWorld();
        int target = w.Process("target");
        int inspector = w.Process("inspector", superuser: true);
        Assert.Equal(0, w.Open(inspector, target, RangeStart, RangeStart + (3 * Page) + 1).Ret);
        Assert.Equal(4, w.Table.EntryCount);
        Assert.Equal(RangeStart + (3 * Page) + 1, w.Table.End.Value);
    }

    [Fact]
    public void AnUnalignedEntriesPointerIsEinval()
    {
        using var w = new SptWorld();
        int target = w.Process("target");
        int inspector = w.Process("inspector", superuser: true);
        (InspectorHandle h, long ret) = w.Open(inspector, target, RangeStart, RangeEnd, entriesPages: 2);
        Assert.Equal(0, ret);
        Assert.Equal(0, w.Sys(InspectorCpu, inspector, new ShadowptCloseCall()));

        Assert.Equal(Einval, w.OpenWith(h, target, RangeStart, RangeEnd, h.Entries.Value + 24));
    }

    // ---- shadowpt_open: the entries range ----

    [Theory]
    [InlineData(170UL * Page, 1UL, 0L)] // 170 entries: 4080 bytes fit in one page
    [InlineData((170UL * Page) + 1, 1UL, Einval)] // one byte more of range: 171 entries, 4104 bytes
    [InlineData((170UL * Page) + 1, 2UL, 0L)] // ...which two pages hold
    [InlineData(171UL * Page, 1UL, Einval)]
    [InlineData(512UL * Page, 3UL, 0L)] // 512 entries: exactly 12288 bytes, three pages
    [InlineData(512UL * Page, 2UL, Einval)]
    [InlineData(513UL * Page, 3UL, Einval)] // 24 bytes over three pages: rounded up to four
    [InlineData(513UL * Page, 4UL, 0L)]
    public void EntriesMustHoldTheTableRoundedUpToPages(ulong length, ulong entriesPages, long expected)
    {
        using var w = new SptWorld();
        int target = w.Process("target");
        int inspector = w.Process("inspector", superuser: true);
        (InspectorHandle h, long ret) = w.Open(inspector, target, RangeStart, RangeStart + length, entriesPages);

        Assert.Equal(expected, ret);
        Assert.Equal(expected == 0, w.Table.IsOpen);
        Assert.Equal(expected == 0 ? (int)entriesPages : 0, w.KernelFrames());
        if (expected == 0)
        {
            // remap_pfn_range covered exactly the entries range with the table's frames.
            MmStruct mm = w.State.Task(inspector).Mm!;
            for (ulong p = 0; p < entriesPages; p++)
            {
                Pte pte = mm.Pgd.GetPte(h.Entries + (p * Page));
                Assert.True(pte.IsPresent && pte.IsSpecial);
                Assert.Equal(w.Table.Frames[(int)p], pte.Pfn);
            }
        }
    }

    [Fact]
    public void AnEntriesRangeLargerThanNeededIsSplitSoThatOnlyTheTableIsRemapped()
    {
        using var w = new SptWorld();
        int target = w.Process("target");
        int inspector = w.Process("inspector", superuser: true);
        (InspectorHandle h, long ret) = w.Open(inspector, target, RangeStart, RangeEnd, entriesPages: 3);
        Assert.Equal(0, ret);

        MmStruct mm = w.State.Task(inspector).Mm!;
        VmArea table = mm.Vmas.VmaLookup(h.Entries)!;
        Assert.Equal((h.Entries, h.Entries + Page), (table.VmStart, table.VmEnd));
        Assert.NotEqual(0UL, (ulong)(table.VmFlags & VmFlagSets.Special));
        VmArea rest = mm.Vmas.VmaLookup(h.Entries + Page)!;
        Assert.Equal((h.Entries + Page, h.Header + Page), (rest.VmStart, rest.VmEnd)); // the spare pages and the header
        Assert.True(rest.IsAnonymous);
        Assert.Equal(0UL, (ulong)(rest.VmFlags & VmFlagSets.Special));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void AnEntriesRangeWithAPageAlreadyMappedIsEinval(int touchedPage)
    {
        using var w = new SptWorld();
        int target = w.Process("target");
        int inspector = w.Process("inspector", superuser: true);
        VirtAddr header = w.MapAnon(InspectorCpu, inspector, 1);
        VirtAddr entries = w.MapAnon(InspectorCpu, inspector, 2);
        w.Poke(InspectorCpu, inspector, entries + ((ulong)touchedPage * Page) + 5, 1);
        var h = new InspectorHandle(inspector, InspectorCpu, header, entries);

        // 300 entries need two pages; either one being populated is refused.
        Assert.Equal(Einval, w.OpenWith(h, target, RangeStart, RangeStart + (300 * Page), entries.Value));
        Assert.False(w.Table.IsOpen);
        Assert.Equal(0, w.KernelFrames());
    }

    [Fact]
    public void AnEntriesRangeThatIsNotAnonymousIsEinval()
    {
        using var w = new SptWorld();
        int target = w.Process("target");
        int inspector = w.Process("inspector", superuser: true);
        VirtAddr header = w.MapAnon(InspectorCpu, inspector, 1);
        long shmem = w.Sys(InspectorCpu, inspector, new MmapCall(VirtAddr.Zero, Page, Prot.Read | Prot.Write, MapFlags.Shared | MapFlags.Anonymous));
        Assert.True(shmem > 0);
        Assert.False(w.State.Task(inspector).Mm!.Vmas.VmaLookup(new VirtAddr((ulong)shmem))!.IsAnonymous);

        Assert.Equal(Einval, w.OpenWith(new InspectorHandle(inspector, InspectorCpu, header, new VirtAddr((ulong)shmem)), target, RangeStart, RangeEnd, (ulong)shmem));
        Assert.False(w.Table.IsOpen);
    }

    [Fact]
    public void AnEntriesPointerIntoNoMappingIsEinval()
    {
        using var w = new SptWorld();
        int target = w.Process("target");
        int inspector = w.Process("inspector", superuser: true);
        VirtAddr header = w.MapAnon(InspectorCpu, inspector, 1);
        VirtAddr entries = w.MapAnon(InspectorCpu, inspector, 1);
        Assert.Equal(0, w.Sys(InspectorCpu, inspector, new MunmapCall(entries, Page)));

        Assert.Equal(Einval, w.OpenWith(new InspectorHandle(inspector, InspectorCpu, header, entries), target, RangeStart, RangeEnd, entries.Value));
    }

    [Fact]
    public void ADestPointerIntoNoMappingIsEfault()
    {
        // Not in the spec (which asks -EINVAL for invalid arguments); copy_from_user's -EFAULT as Linux does.
        using var w = new SptWorld();
        int target = w.Process("target");
        int inspector = w.Process("inspector", superuser: true);
        Assert.Equal(Efault, w.Sys(InspectorCpu, inspector, new ShadowptOpenCall(target, new VirtAddr(0x20000000))));
    }

    // ---- shadowpt_open: busy, permissions, truncation ----

    [Fact]
    public void ASecondOpenBySameInspectorIsEbusy()
    {
        using var w = new SptWorld();
        int target = w.Process("target");
        int inspector = w.Process("inspector", superuser: true);
        Assert.Equal(0, w.Open(inspector, target, RangeStart, RangeEnd).Ret);
        IReadOnlyList<Pfn> frames = w.Table.Frames;

        Assert.Equal(Ebusy, w.Open(inspector, target, RangeStart, RangeEnd).Ret);
        Assert.Equal(inspector, w.Table.OpenerPid);
        Assert.Equal(frames, w.Table.Frames);
        Assert.Equal(1, w.KernelFrames());
    }

    [Fact]
    public void AnOpenByAnotherInspectorIsEbusyUntilTheFirstCloses()
    {
        using var w = new SptWorld();
        int target = w.Process("target");
        int first = w.Process("inspector", superuser: true);
        int second = w.Process("inspector2", superuser: true);
        Assert.Equal(0, w.Open(first, target, RangeStart, RangeEnd).Ret);
        (InspectorHandle h, long busy) = w.Open(second, target, RangeStart, RangeEnd, cpu: 0);
        Assert.Equal(Ebusy, busy);

        Assert.Equal(0, w.Sys(InspectorCpu, first, new ShadowptCloseCall()));
        Assert.Equal(0, w.OpenWith(h, target, RangeStart, RangeEnd, h.Entries.Value));
        Assert.Equal(second, w.Table.OpenerPid);
    }

    [Fact]
    public void OpenByANonSuperuserIsEperm()
    {
        using var w = new SptWorld();
        int target = w.Process("target");
        int user = w.Process("user", superuser: false);
        Assert.Equal(Eperm, w.Open(user, target, RangeStart, RangeEnd).Ret);
        Assert.False(w.Table.IsOpen);

        // The permission check comes first: a non-superuser learns nothing about the target.
        Assert.Equal(Eperm, w.Open(user, 4242, RangeStart, RangeStart).Ret);
    }

    [Theory]
    [InlineData(2049UL * Page, 2048)]
    [InlineData(1UL << 32, 2048)]
    [InlineData(2048UL * Page, 2048)] // exactly MAX_SPT_RANGE: kept as it is
    public void ARangeOverMaxSptRangeIsTruncatedAndTheCallersEndUpdated(ulong length, int entries)
    {
        using var w = new SptWorld();
        int target = w.Process("target");
        int inspector = w.Process("inspector", superuser: true);
        (InspectorHandle h, long ret) = w.Open(inspector, target, RangeStart, RangeStart + length);

        Assert.Equal(0, ret);
        Assert.Equal(RangeStart, w.Load(InspectorCpu, inspector, h.Header));
        Assert.Equal(RangeStart + SptApi.MaxSptRange, w.Load(InspectorCpu, inspector, h.Header + 8));
        Assert.Equal(h.Entries.Value, w.Load(InspectorCpu, inspector, h.Header + 16));
        Assert.Equal(entries, w.Table.EntryCount);
        Assert.Equal(RangeStart + SptApi.MaxSptRange, w.Table.End.Value);
        Assert.Equal(entries * SptApi.ShadowPteBytes / (int)Page, w.KernelFrames());
    }

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
