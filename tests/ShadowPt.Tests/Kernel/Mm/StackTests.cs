using ShadowPt.Kernel;
using static ShadowPt.Tests.Kernel.KernelTestUtil;

namespace ShadowPt.Tests.Kernel.Mm;

public sealed class StackTests
{
    private const ulong StackTop = 0x7ffffffff000;
    private const ulong StackStart = 0x7ffffffde000;

    [Fact]
    public void ExecveStackMatchesLinuxWithoutRandomization()
    {
        MmStruct mm = NewMm();
        VmArea stack = Mmap.SetupArgPages(mm);
        Assert.Equal((Va(StackStart), Va(StackTop)), (stack.VmStart, stack.VmEnd));
        Assert.Equal(VmFlagSets.Stack, stack.VmFlags);
        Assert.Equal(Va(StackTop - Page), mm.StartStack);
    }

    [Fact]
    public void AFaultBelowTheStackGrowsItToThatPage()
    {
        MmStruct mm = NewMm();
        Mmap.SetupArgPages(mm);
        ExpandResult result = Mmap.ExpandStack(mm, Va(StackStart - 0x1ff8));
        Assert.Equal(Errno.None, result.Error);
        Assert.Equal(new AddrRange(Va(StackStart - 0x2000), Va(StackStart)), result.Grown);
        Assert.Equal((Va(StackStart - 0x2000), Va(StackTop)), (result.Vma!.VmStart, result.Vma.VmEnd));
        Assert.Equal((StackStart - 0x2000) >> 12, result.Vma.VmPgoff);
        Assert.Same(result.Vma, mm.Vmas.VmaLookup(Va(StackStart - 0x2000)));
        mm.AssertInvariants();
    }

    [Fact]
    public void AnAddressInsideAVmaNeedsNoGrowthAndAHoleIsABadArea()
    {
        MmStruct mm = NewMm();
        Mmap.SetupArgPages(mm);
        VirtAddr anon = MapAnon(mm, Page);
        Assert.Equal((Errno.None, true), (Mmap.ExpandStack(mm, Va(StackTop - 8)).Error, Mmap.ExpandStack(mm, Va(StackTop - 8)).Grown.IsEmpty));
        Assert.Equal(Errno.EFAULT, Mmap.ExpandStack(mm, anon - Page).Error);
        Assert.Equal(Errno.EFAULT, Mmap.ExpandStack(mm, Va(StackTop + Page)).Error);
    }

    [Fact]
    public void GrowthBeyondRlimitStackIsRefused()
    {
        MmStruct mm = NewMm();
        Mmap.SetupArgPages(mm);
        ulong lowest = StackTop - mm.Layout.StackRlimitBytes;
        Assert.Equal(Errno.ENOMEM, Mmap.ExpandStack(mm, Va(lowest - 8)).Error);
        Assert.Equal(Errno.None, Mmap.ExpandStack(mm, Va(lowest)).Error);
    }

    [Fact]
    public void GrowthIntoTheGuardGapAboveAnAccessibleVmaIsRefused()
    {
        MmStruct mm = NewMm();
        Mmap.SetupArgPages(mm);
        ulong below = StackStart - 0x180000;
        MapAnon(mm, Page, addr: below - Page, extra: MapFlags.Fixed);
        Assert.Equal(Errno.ENOMEM, Mmap.ExpandStack(mm, Va(below + 0xff000)).Error);
        Assert.Equal(Errno.None, Mmap.ExpandStack(mm, Va(below + 0x100000)).Error);
    }

    [Fact]
    public void AProtNoneGuardBelowDoesNotEnforceTheGap()
    {
        MmStruct mm = NewMm();
        Mmap.SetupArgPages(mm);
        MapAnon(mm, Page, Prot.None, addr: StackStart - (2 * Page), extra: MapFlags.Fixed);
        Assert.Equal(Errno.None, Mmap.ExpandStack(mm, Va(StackStart - Page)).Error);
    }
}
