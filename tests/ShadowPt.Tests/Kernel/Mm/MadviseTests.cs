using ShadowPt.Kernel;
using static ShadowPt.Tests.Kernel.KernelTestUtil;

namespace ShadowPt.Tests.Kernel.Mm;

public sealed class MadviseTests
{
    [Fact]
    public void DontneedZapsTheMappedPartsAndReportsHoles()
    {
        MmStruct mm = NewMm();
        MapAnon(mm, 2 * Page, addr: 0x10000000);
        MapAnon(mm, Page, Prot.Read, addr: 0x10003000);
        (Errno error, IReadOnlyList<AddrRange> ranges) = Madvise.DontneedRanges(mm, Va(0x10001000), 4 * Page);
        Assert.Equal(Errno.ENOMEM, error);
        Assert.Equal(new[] { new AddrRange(Va(0x10001000), Va(0x10002000)), new AddrRange(Va(0x10003000), Va(0x10004000)) }, ranges);
        Assert.Equal(Errno.None, Madvise.DontneedRanges(mm, Va(0x10000000), 2 * Page).Error);
        Assert.Equal(2, mm.Vmas.Count);
    }

    [Fact]
    public void LockedMemoryAndBadArgumentsAreInvalid()
    {
        MmStruct mm = NewMm();
        VirtAddr start = MapAnon(mm, Page, extra: MapFlags.Locked);
        Assert.Equal(Errno.EINVAL, Madvise.DontneedRanges(mm, start, Page).Error);
        Assert.Equal(Errno.EINVAL, Madvise.DontneedRanges(mm, start + 8, Page).Error);
        Assert.Equal((Errno.None, 0), (Madvise.DontneedRanges(mm, start, 0).Error, Madvise.DontneedRanges(mm, start, 0).Ranges.Count));
    }
}
