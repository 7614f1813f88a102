using ShadowPt.Kernel;
using static ShadowPt.Tests.Kernel.KernelTestUtil;

namespace ShadowPt.Tests.Kernel.Mm;

public sealed class MlockTests
{
    [Fact]
    public void LockingASubRangeSplitsAndUnlockingMergesBack()
    {
        MmStruct mm = NewMm();
        VirtAddr start = MapAnon(mm, 3 * Page);
        FlagChangeResult locked = Mlock.DoMlock(mm, start + Page + 10, 10);
        Assert.Equal(Errno.None, locked.Error);
        Assert.Equal(new AddrRange(start + Page, start + (2 * Page)), Assert.Single(locked.Changes).Range);
        Assert.Equal(
            new[] { (start.Value, start.Value + Page, AnonRw), (start.Value + Page, start.Value + (2 * Page), AnonRw | VmFlags.Locked), (start.Value + (2 * Page), start.Value + (3 * Page), AnonRw) },
            Layout(mm));
        Assert.Equal(1UL, mm.Vmas.LockedVmPages());
        Assert.Equal(Errno.None, Mlock.DoMunlock(mm, start, 3 * Page).Error);
        Assert.Equal(new[] { (start.Value, start.Value + (3 * Page), AnonRw) }, Layout(mm));
        mm.AssertInvariants();
    }

    [Fact]
    public void OnFaultLockingSetsBothFlags()
    {
        MmStruct mm = NewMm();
        VirtAddr start = MapAnon(mm, Page);
        Mlock.DoMlock(mm, start, Page, onFault: true);
        Assert.Equal(AnonRw | VmFlags.Locked | VmFlags.LockOnFault, Layout(mm)[0].Flags);
    }

    [Fact]
    public void AHoleIsOutOfMemory()
    {
        MmStruct mm = NewMm();
        MapAnon(mm, Page, addr: 0x10000000);
        Assert.Equal(Errno.ENOMEM, Mlock.DoMlock(mm, Va(0x10000000), 2 * Page).Error);
        Assert.Equal(Errno.ENOMEM, Mlock.DoMlock(mm, Va(0x0fff0000), Page).Error);
    }

    [Fact]
    public void SpecialMappingsAreSkippedSilently()
    {
        MmStruct mm = NewMm();
        VirtAddr start = MapAnon(mm, Page);
        mm.Vmas.ReplaceAt(0, mm.Vmas[0].WithFlags(mm.Vmas[0].VmFlags | VmFlags.PfnMap | VmFlags.Io));
        FlagChangeResult result = Mlock.DoMlock(mm, start, Page);
        Assert.Equal(Errno.None, result.Error);
        Assert.Empty(result.Changes);
    }

    [Fact]
    public void MlockallLocksTheCurrentVmasAndEveryFutureOne()
    {
        MmStruct mm = NewMm();
        MapAnon(mm, Page, addr: 0x10000000);
        FlagChangeResult result = Mlock.DoMlockall(mm, MlockallFlags.Current | MlockallFlags.Future);
        Assert.Equal(Errno.None, result.Error);
        Assert.Single(result.Changes);
        Assert.Equal(VmFlags.Locked, mm.DefFlags);
        MmapResult next = Mmap.DoMmap(mm, Va(0), Page, Prot.Read, MapFlags.Private | MapFlags.Anonymous, null, 0);
        Assert.True(next.Populate);
        Assert.True((next.Vma!.VmFlags & VmFlags.Locked) != 0);
        Mlock.DoMlockall(mm, MlockallFlags.None);
        Assert.Equal(VmFlags.None, mm.DefFlags);
        Assert.Equal(0UL, mm.Vmas.LockedVmPages());
        Assert.Equal(Errno.EINVAL, Mlock.DoMlockall(mm, MlockallFlags.OnFault).Error);
    }
}
