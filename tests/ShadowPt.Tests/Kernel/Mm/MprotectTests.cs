using ShadowPt.Kernel;
using static ShadowPt.Tests.Kernel.KernelTestUtil;

namespace ShadowPt.Tests.Kernel.Mm;

public sealed class MprotectTests
{
    [Fact]
    public void ProtectingASubRangeSplitsIntoThree()
    {
        MmStruct mm = NewMm();
        VirtAddr start = MapAnon(mm, 3 * Page);
        FlagChangeResult result = Mprotect.DoMprotect(mm, start + Page, Page, Prot.Read);
        Assert.Equal(Errno.None, result.Error);
        const VmFlags readOnlyAccounted = AnonRo | VmFlags.Account;
        Assert.Equal(
            new[] { (start.Value, start.Value + Page, AnonRw), (start.Value + Page, start.Value + (2 * Page), readOnlyAccounted), (start.Value + (2 * Page), start.Value + (3 * Page), AnonRw) },
            Layout(mm));
        VmaFlagChange change = Assert.Single(result.Changes);
        Assert.Equal(new AddrRange(start + Page, start + (2 * Page)), change.Range);
        Assert.Equal((AnonRw, readOnlyAccounted), (change.OldFlags, change.NewFlags));
        mm.AssertInvariants();
    }

    [Fact]
    public void RestoringTheProtectionMergesBack()
    {
        MmStruct mm = NewMm();
        VirtAddr start = MapAnon(mm, 3 * Page);
        Mprotect.DoMprotect(mm, start + Page, Page, Prot.Read);
        Assert.Equal(Errno.None, Mprotect.DoMprotect(mm, start + Page, Page, Prot.Read | Prot.Write).Error);
        Assert.Equal(new[] { (start.Value, start.Value + (3 * Page), AnonRw) }, Layout(mm));
    }

    [Fact]
    public void AccountedReadOnlyMemoryDoesNotMergeWithUnaccountedReadOnlyMemory()
    {
        MmStruct mm = NewMm();
        VirtAddr rw = MapAnon(mm, Page, addr: 0x10000000);
        MapAnon(mm, Page, Prot.Read, addr: 0x10001000);
        Mprotect.DoMprotect(mm, rw, Page, Prot.Read);
        Assert.Equal(new[] { (0x10000000UL, 0x10001000UL, AnonRo | VmFlags.Account), (0x10001000UL, 0x10002000UL, AnonRo) }, Layout(mm));
    }

    [Fact]
    public void AHoleStopsTheWalkWithEarlierVmasAlreadyChanged()
    {
        MmStruct mm = NewMm();
        MapAnon(mm, Page, addr: 0x10000000);
        MapAnon(mm, Page, addr: 0x10002000);
        FlagChangeResult result = Mprotect.DoMprotect(mm, Va(0x10000000), 3 * Page, Prot.Read);
        Assert.Equal(Errno.ENOMEM, result.Error);
        Assert.Single(result.Changes);
        Assert.Equal(new[] { (0x10000000UL, 0x10001000UL, AnonRo | VmFlags.Account), (0x10002000UL, 0x10003000UL, AnonRw) }, Layout(mm));
    }

    [Fact]
    public void WritableProtectionOfAReadOnlySharedFileMappingIsRefused()
    {
        MmStruct mm = NewMm();
        var file = new MappedFile(12, 0xfe, 0, "/data/f", 16, Writable: false);
        MmapResult mapped = Mmap.DoMmap(mm, Va(0), Page, Prot.Read, MapFlags.Shared, file, 0);
        Assert.Equal(Errno.EACCES, Mprotect.DoMprotect(mm, mapped.Address, Page, Prot.Read | Prot.Write).Error);
        Assert.Equal(Errno.None, Mprotect.DoMprotect(mm, mapped.Address, Page, Prot.Read | Prot.Exec).Error);
    }

    [Theory]
    [InlineData(0x10000800UL, 4096UL, Prot.Read, Errno.EINVAL)]
    [InlineData(0x10000000UL, 4096UL, (Prot)0x40, Errno.EINVAL)]
    [InlineData(0x20000000UL, 4096UL, Prot.Read, Errno.ENOMEM)]
    [InlineData(0x0fff0000UL, 0x20000UL, Prot.Read, Errno.ENOMEM)]
    [InlineData(0x10000000UL, 0UL, Prot.Read, Errno.None)]
    public void ArgumentAndRangeErrors(ulong start, ulong length, Prot prot, Errno expected)
    {
        MmStruct mm = NewMm();
        MapAnon(mm, Page, addr: 0x10000000);
        Assert.Equal(expected, Mprotect.DoMprotect(mm, Va(start), length, prot).Error);
    }

    [Fact]
    public void GrowsDownProtectsFromTheStartOfTheStack()
    {
        MmStruct mm = NewMm();
        VmArea stack = Mmap.SetupArgPages(mm);
        FlagChangeResult result = Mprotect.DoMprotect(mm, stack.VmEnd - Page, Page, Prot.Read | Prot.Exec | Prot.GrowsDown);
        Assert.Equal(Errno.None, result.Error);
        Assert.Equal(stack.Range, Assert.Single(result.Changes).Range);
        VirtAddr anon = MapAnon(mm, Page);
        Assert.Equal(Errno.EINVAL, Mprotect.DoMprotect(mm, anon, Page, Prot.Read | Prot.GrowsDown).Error);
    }
}
