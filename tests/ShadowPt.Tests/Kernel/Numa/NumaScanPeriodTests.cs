using ShadowPt.Kernel;

namespace ShadowPt.Tests.Kernel.Numa;

/// <summary>update_task_scan_period as a pure function.</summary>
public sealed class NumaScanPeriodTests
{
    [Fact]
    public void NoRecordedFaultsDoublesUpToTheCeiling()
    {
        Assert.Equal((2000, true), NumaScanPeriod.Update(1000, 0, 0, 0, 0, 1000, 60000));
        Assert.Equal((4000, true), NumaScanPeriod.Update(2000, 0, 2, 0, 2, 1000, 60000)); // remote private faults only
        Assert.Equal((60000, true), NumaScanPeriod.Update(40000, 0, 0, 0, 0, 1000, 60000));
    }

    [Fact]
    public void LocalFaultsSlowTheScanBySlotsOfATenthRoundedUp()
    {
        Assert.Equal((4800, false), NumaScanPeriod.Update(4000, 1, 1, 0, 1, 1000, 60000)); // ratio 5: 2 slots
        Assert.Equal((8160, false), NumaScanPeriod.Update(4800, 1, 0, 0, 1, 1000, 60000)); // ratio 10: 7 slots
        Assert.Equal((23588, false), NumaScanPeriod.Update(13872, 1, 0, 0, 1, 1000, 60000)); // slot 1388, not 1387.2
        Assert.Equal((60000, false), NumaScanPeriod.Update(40101, 1, 0, 0, 1, 1000, 60000));
        Assert.Equal((4400, false), NumaScanPeriod.Update(4000, 3, 7, 0, 1, 1000, 60000)); // ratio 3: at least one slot
    }

    [Fact]
    public void RemoteFaultsSpeedItUpScaledByPrivacy()
    {
        Assert.Equal((3200, false), NumaScanPeriod.Update(4000, 1, 9, 0, 10, 1000, 60000)); // ratio 1: -2 slots, all private
        Assert.Equal((3840, false), NumaScanPeriod.Update(4000, 1, 9, 8, 2, 1000, 60000)); // 2 of 10 private: a fifth of that
        Assert.Equal((1000, false), NumaScanPeriod.Update(1100, 1, 9, 0, 10, 1000, 60000)); // clamped to the minimum
    }
}
