using ShadowPt.Kernel;

namespace ShadowPt.Tests.Kernel.Memory;

public sealed class VirtAddrTests
{
    [Fact]
    public void PageHelpersMatchTheKernelMacros()
    {
        var a = new VirtAddr(0x7ffff7ffe123);
        Assert.Equal(new VirtAddr(0x7ffff7ffe000), a.PageAlignDown());
        Assert.Equal(new VirtAddr(0x7ffff7fff000), a.PageAlignUp());
        Assert.Equal(0x123, a.OffsetInPage);
        Assert.Equal(0x7ffff7ffeUL, a.Vpn);
        Assert.False(a.IsPageAligned);
        Assert.Equal(0x2000UL, VirtAddr.PageAlignLength(0x1001));
        Assert.Equal(0UL, VirtAddr.PageAlignLength(ulong.MaxValue - 5));
        Assert.Equal("7ffff7ffe123", a.ToMapsHex());
        Assert.Equal("00001000", new VirtAddr(0x1000).ToMapsHex());
    }

    [Fact]
    public void RangesAreHalfOpenAndPageAligned()
    {
        var r = new AddrRange(new VirtAddr(0x1000), new VirtAddr(0x3000));
        Assert.Equal(2UL, r.Pages);
        Assert.True(r.Contains(new VirtAddr(0x2fff)));
        Assert.False(r.Contains(new VirtAddr(0x3000)));
        Assert.True(r.Overlaps(new AddrRange(new VirtAddr(0x2000), new VirtAddr(0x5000))));
        Assert.False(r.Overlaps(new AddrRange(new VirtAddr(0x3000), new VirtAddr(0x5000))));
        Assert.Throws<KernelBugException>(() => new AddrRange(new VirtAddr(0x1001), new VirtAddr(0x3000)));
    }
}
