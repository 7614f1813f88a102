using ShadowPt.Kernel;
using static ShadowPt.Tests.Kernel.KernelTestUtil;

namespace ShadowPt.Tests.Kernel.Mm;

public sealed class MmStructTests
{
    [Fact]
    public void CpumaskTracksCpusInAscendingOrder()
    {
        MmStruct mm = NewMm();
        mm.CpumaskSetCpu(new CpuId(5));
        mm.CpumaskSetCpu(new CpuId(0));
        mm.CpumaskSetCpu(new CpuId(1));
        mm.CpumaskSetCpu(new CpuId(2));
        mm.CpumaskClearCpu(new CpuId(1));
        mm.CpumaskSetCpu(new CpuId(63));
        Assert.Equal(new[] { 0, 2, 5, 63 }, mm.MmCpumask.Cpus().Select(c => c.Value).ToArray());
        Assert.Equal("0,2,5,63", mm.MmCpumask.ToString());
        Assert.Equal("0-2,5", new CpuMask(0b100111).ToString());
        Assert.True(mm.MmCpumask.Test(new CpuId(63)));
        Assert.Equal(4, mm.MmCpumask.Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => new CpuId(64));
    }

    [Fact]
    public void FaultCountersCountSeparately()
    {
        MmStruct mm = NewMm();
        mm.CountMinorFault();
        mm.CountMinorFault();
        mm.CountMajorFault();
        Assert.Equal((2, 1), (mm.MinFlt, mm.MajFlt));
    }

    [Fact]
    public void NewMmHasAnEmptyPageTableInItsOwnFrame()
    {
        var frames = new FrameAllocator(8);
        MmStruct mm = NewMm(frames);
        Assert.Equal(1, frames.AllocatedCount);
        Assert.Equal(FrameKind.PageTable, frames.Kind(mm.Pgd.PgdPfn));
        Assert.Equal(0, mm.Vmas.Count);
        mm.AssertInvariants(frames);
    }
}
