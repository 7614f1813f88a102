using ShadowPt.Kernel;
using static ShadowPt.Tests.Kernel.KernelTestUtil;
using KTlb = ShadowPt.Kernel.Tlb;

namespace ShadowPt.Tests.Kernel.Tlb;

public sealed class TlbTests
{
    private static readonly MmId Mm1 = new(1);
    private static readonly MmId Mm2 = new(2);

    [Fact]
    public void FillThenHitThenRefillReplacesInPlace()
    {
        var tlb = new KTlb(new CpuId(0), 4);
        Assert.Null(tlb.Lookup(Mm1, Va(0x1000)));
        tlb.Fill(Mm1, Va(0x1234), new Pfn(7), writable: false, user: true);
        Assert.Equal(new TlbEntry(Mm1, 1, new Pfn(7), false, true), tlb.Lookup(Mm1, Va(0x1ff8)));
        Assert.Null(tlb.Lookup(Mm2, Va(0x1000)));
        tlb.Fill(Mm1, Va(0x1000), new Pfn(8), writable: true, user: true);
        Assert.Equal(1, tlb.Count);
        Assert.Equal(new Pfn(8), tlb.Lookup(Mm1, Va(0x1000))!.Value.Pfn);
        tlb.AssertInvariants();
    }

    [Fact]
    public void EvictionIsRoundRobinOverSlotsAndFreedSlotsAreReusedFirst()
    {
        var tlb = new KTlb(new CpuId(1), 2);
        tlb.Fill(Mm1, Va(0x1000), new Pfn(1), true, true);
        tlb.Fill(Mm1, Va(0x2000), new Pfn(2), true, true);
        tlb.Fill(Mm1, Va(0x3000), new Pfn(3), true, true);
        Assert.Null(tlb.Lookup(Mm1, Va(0x1000)));
        tlb.Fill(Mm1, Va(0x4000), new Pfn(4), true, true);
        Assert.Null(tlb.Lookup(Mm1, Va(0x2000)));
        Assert.True(tlb.FlushOne(Mm1, Va(0x3000)));
        tlb.Fill(Mm1, Va(0x5000), new Pfn(5), true, true);
        Assert.Equal(new ulong[] { 5, 4 }, tlb.Entries().Select(e => e.Vpn).ToArray());
        tlb.AssertInvariants();
    }

    [Fact]
    public void RangeFlushIsExactUpToTheCeilingAndWholeMmBeyondIt()
    {
        var tlb = new KTlb(new CpuId(0), 64);
        for (ulong vpn = 0; vpn < 40; vpn++)
        {
            tlb.Fill(Mm1, VirtAddr.FromVpn(vpn), new Pfn(vpn), true, true);
        }

        tlb.Fill(Mm2, Va(0), new Pfn(99), true, true);
        Assert.Equal(2, tlb.FlushRange(Mm1, new AddrRange(Va(0x3000), Va(0x5000))));
        Assert.NotNull(tlb.Lookup(Mm1, Va(0x5000)));
        Assert.Equal(38, tlb.FlushRange(Mm1, new AddrRange(Va(0), Va(34 * Page))));
        Assert.Equal(1, tlb.Count);
        Assert.NotNull(tlb.Lookup(Mm2, Va(0)));
        tlb.AssertInvariants();
    }

    [Fact]
    public void FlushMmAndFlushAll()
    {
        var tlb = new KTlb(new CpuId(0), 8);
        tlb.Fill(Mm1, Va(0x1000), new Pfn(1), true, true);
        tlb.Fill(Mm2, Va(0x1000), new Pfn(2), true, true);
        tlb.Fill(Mm1, Va(0x2000), new Pfn(3), true, true);
        Assert.Equal(2, tlb.FlushMm(Mm1));
        Assert.False(tlb.FlushOne(Mm1, Va(0x2000)));
        Assert.Equal(1, tlb.FlushAll());
        Assert.Equal(0, tlb.Count);
        tlb.AssertInvariants();
    }
}
