using ShadowPt.Kernel;
using static ShadowPt.Tests.Kernel.KernelTestUtil;

namespace ShadowPt.Tests.Kernel.Mm;

public sealed class MmapTests
{
    private const MapFlags AnonPrivate = MapFlags.Private | MapFlags.Anonymous;

    [Fact]
    public void AnonymousMappingsGoTopDownFromMmapBaseAndMergeWithEqualNeighbours()
    {
        MmStruct mm = NewMm();
        Assert.Equal(MmapBase, mm.Layout.MmapBase);
        Assert.Equal(Va(MmapBase - Page), MapAnon(mm, 1));
        Assert.Equal(Va(MmapBase - (3 * Page)), MapAnon(mm, 2 * Page));
        Assert.Equal(new[] { (MmapBase - (3 * Page), MmapBase, AnonRw) }, Layout(mm));
        Assert.Equal(MmapBase - (3 * Page) >> 12, mm.Vmas[0].VmPgoff);
        mm.AssertInvariants();
    }

    [Fact]
    public void DifferentProtectionsStaySeparateVmas()
    {
        MmStruct mm = NewMm();
        MapAnon(mm, Page);
        MapAnon(mm, Page, Prot.Read);
        Assert.Equal(new[] { (MmapBase - (2 * Page), MmapBase - Page, AnonRo), (MmapBase - Page, MmapBase, AnonRw) }, Layout(mm));
    }

    [Fact]
    public void ResultReportsTheMergedVma()
    {
        MmStruct mm = NewMm();
        MapAnon(mm, Page);
        MmapResult result = Mmap.DoMmap(mm, Va(0), Page, Prot.Read | Prot.Write, AnonPrivate, null, 0);
        Assert.Equal(Va(MmapBase - (2 * Page)), result.Address);
        Assert.Equal(Va(MmapBase), result.Vma!.VmEnd);
        Assert.Equal(AnonRw, result.Vma.VmFlags);
        Assert.False(result.Populate);
        Assert.True(result.Replaced.IsEmpty);
    }

    [Fact]
    public void NewVmasAreSoftDirtyOnlyWhenTheKernelTracksSoftDirty()
    {
        MmStruct mm = NewMm(layout: MmLayout.X8664Default() with { MemSoftDirty = true });
        MmapResult result = Mmap.DoMmap(mm, Va(0), Page, Prot.Read, AnonPrivate, null, 0);
        Assert.Equal(AnonRo | VmFlags.SoftDirty, result.Vma!.VmFlags);
    }

    [Fact]
    public void MapFixedReplacesTheMiddleOfAVmaAndReportsWhatItRemoved()
    {
        MmStruct mm = NewMm();
        VirtAddr start = MapAnon(mm, 3 * Page);
        MmapResult result = Mmap.DoMmap(mm, start + Page, Page, Prot.Read, AnonPrivate | MapFlags.Fixed, null, 0);
        Assert.Equal(Errno.None, result.Error);
        Assert.Equal(start + Page, result.Address);
        VmArea removed = Assert.Single(result.Replaced.Removed);
        Assert.Equal((start + Page, start + (2 * Page), AnonRw), (removed.VmStart, removed.VmEnd, removed.VmFlags));
        Assert.Equal((start + Page, start + Page, start + (2 * Page)), (result.Replaced.PgtablesFloor, result.Replaced.Span.Start, result.Replaced.PgtablesCeiling));
        Assert.Equal(
            new[] { (start.Value, start.Value + Page, AnonRw), (start.Value + Page, start.Value + (2 * Page), AnonRo), (start.Value + (2 * Page), start.Value + (3 * Page), AnonRw) },
            Layout(mm));
        mm.AssertInvariants();
    }

    [Fact]
    public void MapFixedWithTheSameFlagsMergesBackIntoOneVma()
    {
        MmStruct mm = NewMm();
        VirtAddr start = MapAnon(mm, 3 * Page);
        Assert.Equal(Errno.None, Mmap.DoMmap(mm, start + Page, Page, Prot.Read | Prot.Write, AnonPrivate | MapFlags.Fixed, null, 0).Error);
        Assert.Equal(new[] { (start.Value, start.Value + (3 * Page), AnonRw) }, Layout(mm));
    }

    [Theory]
    [InlineData(0x10000UL, 0UL, MapFlags.Private | MapFlags.Anonymous, Errno.EINVAL)]
    [InlineData(0x10001UL, 4096UL, MapFlags.Private | MapFlags.Anonymous | MapFlags.Fixed, Errno.EINVAL)]
    [InlineData(0x0UL, 4096UL, MapFlags.Private | MapFlags.Anonymous | MapFlags.Fixed, Errno.EPERM)]
    [InlineData(0x7ffffffff000UL, 8192UL, MapFlags.Private | MapFlags.Anonymous | MapFlags.Fixed, Errno.ENOMEM)]
    [InlineData(0x10000UL, 4096UL, MapFlags.Anonymous, Errno.EINVAL)]
    [InlineData(0x10000UL, 4096UL, MapFlags.Shared | MapFlags.Anonymous, Errno.EINVAL)]
    [InlineData(0x10000UL, ulong.MaxValue, MapFlags.Private | MapFlags.Anonymous, Errno.ENOMEM)]
    public void BadArgumentsFailWithTheKernelsErrors(ulong addr, ulong length, MapFlags flags, Errno expected)
    {
        MmStruct mm = NewMm();
        Assert.Equal(expected, Mmap.DoMmap(mm, Va(addr), length, Prot.Read, flags, null, 0).Error);
        Assert.Equal(0, mm.Vmas.Count);
    }

    [Fact]
    public void FixedNoReplaceRefusesAnOccupiedRange()
    {
        MmStruct mm = NewMm();
        VirtAddr start = MapAnon(mm, 2 * Page);
        Assert.Equal(Errno.EEXIST, Mmap.DoMmap(mm, start + Page, 2 * Page, Prot.Read, AnonPrivate | MapFlags.FixedNoReplace, null, 0).Error);
        Assert.Equal(Errno.None, Mmap.DoMmap(mm, start + (2 * Page), Page, Prot.Read, AnonPrivate | MapFlags.FixedNoReplace, null, 0).Error);
    }

    [Fact]
    public void HintIsTakenWhenFreeAndIgnoredWhenTaken()
    {
        MmStruct mm = NewMm();
        Assert.Equal(Va(0x10000000), MapAnon(mm, Page, addr: 0x10000000));
        Assert.Equal(Va(MmapBase - Page), MapAnon(mm, Page, addr: 0x10000000));
        Assert.Equal(Va(0x1000), MapAnon(mm, Page, addr: 0x10));
    }

    [Fact]
    public void LargeAnonymousMappingsAreAlignedForTransparentHugePages()
    {
        MmStruct mm = NewMm();
        Assert.Equal(Va(0x7ffff7c00000), MapAnon(mm, PageGeometry.PmdSize));
        MmStruct plain = NewMm(layout: MmLayout.X8664Default() with { ThpAlignAnonymous = false });
        Assert.Equal(Va(MmapBase - PageGeometry.PmdSize), MapAnon(plain, PageGeometry.PmdSize));
    }

    [Fact]
    public void TheHugePageAlignmentIsTakenInsideThePaddedGapAsOnLinux()
    {
        MmStruct mm = NewMm();
        MapAnon(mm, MmapBase - 0x7ffff7dd2000, Prot.Read, addr: 0x7ffff7dd2000, extra: MapFlags.Fixed);
        Assert.Equal(Va(0x7ffff7a00000), MapAnon(mm, PageGeometry.PmdSize));
    }

    [Fact]
    public void SharedAnonymousMappingsAreShmemFilesThatNeverMerge()
    {
        MmStruct mm = NewMm();
        MmapResult a = Mmap.DoMmap(mm, Va(0), Page, Prot.Read | Prot.Write, MapFlags.Shared | MapFlags.Anonymous, MappedFile.DevZeroShmem(7), 5);
        MmapResult b = Mmap.DoMmap(mm, Va(0), Page, Prot.Read | Prot.Write, MapFlags.Shared | MapFlags.Anonymous, MappedFile.DevZeroShmem(8), 0);
        Assert.Equal(2, mm.Vmas.Count);
        Assert.Equal(0UL, a.Vma!.VmPgoff);
        VmFlags expected = VmFlags.Read | VmFlags.Write | VmFlags.Shared | VmFlags.MayShare | VmFlags.MayRead | VmFlags.MayWrite | VmFlags.MayExec;
        Assert.Equal(expected, b.Vma!.VmFlags & ~VmFlags.SoftDirty);
        Assert.False(b.Vma.IsAnonymous);
    }

    [Fact]
    public void FileMappingsFollowOpenModeAndAccounting()
    {
        MmStruct mm = NewMm();
        var readOnly = new MappedFile(12, 0xfe, 0, "/data/f", 16, Writable: false);
        Assert.Equal(Errno.EACCES, Mmap.DoMmap(mm, Va(0), Page, Prot.Read | Prot.Write, MapFlags.Shared, readOnly, 0).Error);
        MmapResult shared = Mmap.DoMmap(mm, Va(0), Page, Prot.Read, MapFlags.Shared, readOnly, 2);
        Assert.Equal(VmFlags.Read | VmFlags.MayShare | VmFlags.MayRead | VmFlags.MayExec, shared.Vma!.VmFlags & ~VmFlags.SoftDirty);
        Assert.Equal(2UL, shared.Vma.VmPgoff);
        MmapResult cow = Mmap.DoMmap(mm, Va(0), Page, Prot.Read | Prot.Write, MapFlags.Private, readOnly, 0);
        Assert.Equal(AnonRw, cow.Vma!.VmFlags & ~VmFlags.SoftDirty);
        Assert.Equal(Errno.EINVAL, Mmap.DoMmap(mm, Va(0), Page, Prot.Read, MapFlags.Private, null, 0).Error);
    }

    [Fact]
    public void LockedAndPopulateMappingsAskTheCallerToPopulate()
    {
        MmStruct mm = NewMm();
        MmapResult locked = Mmap.DoMmap(mm, Va(0), Page, Prot.Read, AnonPrivate | MapFlags.Locked, null, 0);
        Assert.True(locked.Populate);
        Assert.True((locked.Vma!.VmFlags & VmFlags.Locked) != 0);
        Assert.True(Mmap.DoMmap(mm, Va(0), Page, Prot.Read, AnonPrivate | MapFlags.Populate, null, 0).Populate);
    }

    [Fact]
    public void MapCountLimitRefusesNewMappings()
    {
        MmStruct mm = NewMm(layout: MmLayout.X8664Default() with { MaxMapCount = 2 });
        MapAnon(mm, Page, Prot.Read);
        MapAnon(mm, Page, Prot.Read | Prot.Write);
        MapAnon(mm, Page, Prot.Read);
        Assert.Equal(Errno.ENOMEM, Mmap.DoMmap(mm, Va(0), Page, Prot.Read | Prot.Write, AnonPrivate, null, 0).Error);
    }
}
