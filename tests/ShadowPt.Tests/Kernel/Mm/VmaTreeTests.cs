using ShadowPt.Kernel;
using static ShadowPt.Tests.Kernel.KernelTestUtil;

namespace ShadowPt.Tests.Kernel.Mm;

public sealed class VmaTreeTests
{
    private static VmaTree ThreeVmas()
    {
        var tree = new VmaTree();
        tree.Insert(new VmArea(Va(0x3000), Va(0x5000), AnonRw, 3));
        tree.Insert(new VmArea(Va(0x1000), Va(0x2000), AnonRw, 1));
        tree.Insert(new VmArea(Va(0x8000), Va(0x9000), AnonRo, 8));
        return tree;
    }

    [Fact]
    public void FindVmaReturnsTheFirstVmaEndingAboveTheAddress()
    {
        VmaTree tree = ThreeVmas();
        Assert.Equal(Va(0x1000), tree.FindVma(Va(0))!.VmStart);
        Assert.Equal(Va(0x3000), tree.FindVma(Va(0x2000))!.VmStart);
        Assert.Equal(Va(0x3000), tree.FindVma(Va(0x4fff))!.VmStart);
        Assert.Equal(Va(0x8000), tree.FindVma(Va(0x5000))!.VmStart);
        Assert.Null(tree.FindVma(Va(0x9000)));
        tree.AssertInvariants();
    }

    [Fact]
    public void VmaLookupAndIntersectionOnlyReturnOverlappingVmas()
    {
        VmaTree tree = ThreeVmas();
        Assert.Null(tree.VmaLookup(Va(0x2000)));
        Assert.Equal(Va(0x3000), tree.VmaLookup(Va(0x3000))!.VmStart);
        Assert.Null(tree.FindVmaIntersection(Va(0x5000), Va(0x8000)));
        Assert.Equal(Va(0x8000), tree.FindVmaIntersection(Va(0x5000), Va(0x8001))!.VmStart);
    }

    [Fact]
    public void InsertRejectsOverlapsAndSplitKeepsPgoffConsistent()
    {
        VmaTree tree = ThreeVmas();
        Assert.Throws<KernelBugException>(() => tree.Insert(new VmArea(Va(0x4000), Va(0x6000), AnonRw, 4)));
        int upper = tree.SplitAt(1, Va(0x4000));
        Assert.Equal(2, upper);
        Assert.Equal((0x3000UL, 0x4000UL, 3UL), (tree[1].VmStart.Value, tree[1].VmEnd.Value, tree[1].VmPgoff));
        Assert.Equal((0x4000UL, 0x5000UL, 4UL), (tree[2].VmStart.Value, tree[2].VmEnd.Value, tree[2].VmPgoff));
        Assert.Equal(4UL, tree.TotalVmPages());
        tree.AssertInvariants();
    }

    [Fact]
    public void StartGapOnlyForGrowsDownAndClampedAtZero()
    {
        var stack = new VmArea(Va(0x200000), Va(0x300000), VmFlagSets.Stack, 0x200);
        var low = new VmArea(Va(0x10000), Va(0x20000), VmFlagSets.Stack, 0x10);
        Assert.Equal(Va(0x100000), stack.VmStartGap(0x100000));
        Assert.Equal(Va(0), low.VmStartGap(0x100000));
        Assert.Equal(Va(0x3000), new VmArea(Va(0x3000), Va(0x4000), AnonRw, 3).VmStartGap(0x100000));
    }
}
