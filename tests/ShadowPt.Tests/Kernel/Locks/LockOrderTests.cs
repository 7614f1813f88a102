using ShadowPt.Kernel;

namespace ShadowPt.Tests.Kernel.Locks;

public sealed class LockOrderTests
{
    /// <summary>The main chain of the mm/rmap.c comment, outermost first.</summary>
    public static readonly TheoryData<LockClass, LockClass> RmapChain = Pairs(
    [
        LockClass.InodeIRwsem, LockClass.MmapLock, LockClass.InvalidateLock, LockClass.FolioLock, LockClass.VmaWriteLock,
        LockClass.IMmapRwsem, LockClass.AnonVmaRwsem, LockClass.PageTableLock, LockClass.SwapLock, LockClass.PrivateLock,
        LockClass.IPagesLock, LockClass.LruLock,
    ]);

    [Theory]
    [MemberData(nameof(RmapChain))]
    public void TheRmapOrderIsAllowedAndItsReverseRejected(LockClass outer, LockClass inner)
    {
        Assert.True(LockOrder.MayNestInside(outer, inner));
        Assert.False(LockOrder.MayNestInside(inner, outer));
    }

    [Fact]
    public void MmapLockThenPageTableLockButNeverTheOtherWay()
    {
        Assert.True(LockOrder.MayNestInside(LockClass.MmapLock, LockClass.PageTableLock));
        Assert.False(LockOrder.MayNestInside(LockClass.PageTableLock, LockClass.MmapLock));
        Assert.True(LockOrder.MayNestInside(LockClass.MmapLock, LockClass.MmuNotifierSrcu));
        Assert.True(LockOrder.MayNestInside(LockClass.MmuNotifierSrcu, LockClass.PageTableLock));
        Assert.True(LockOrder.MayNestInside(LockClass.PageTableLock, LockClass.ShadowPtLock));
        Assert.False(LockOrder.MayNestInside(LockClass.ShadowPtLock, LockClass.PageTableLock));
        Assert.False(LockOrder.MayNestInside(LockClass.ShadowPtLock, LockClass.SwapLock));
        Assert.False(LockOrder.MayNestInside(LockClass.MmlistLock, LockClass.PrivateLock));
    }

    [Fact]
    public void SameClassNestingNeedsASubclassAndAClassThatAllowsIt()
    {
        Assert.True(LockOrder.MayNestInside(LockClass.MmapLock, LockClass.MmapLock, innerSubclass: 1));
        Assert.False(LockOrder.MayNestInside(LockClass.MmapLock, LockClass.MmapLock));
        Assert.True(LockOrder.MayNestInside(LockClass.PageTableLock, LockClass.PageTableLock, innerSubclass: 1));
        Assert.False(LockOrder.MayNestInside(LockClass.AnonVmaRwsem, LockClass.AnonVmaRwsem, innerSubclass: 1));
    }

    [Fact]
    public void TableHasOneRowPerClassAndNoCycles()
    {
        LockOrder.AssertInvariants();
        Assert.Equal(Enum.GetValues<LockClass>().Length, LockOrder.Table.Count);
        Assert.Equal("mm->mmap_lock", LockOrder.Info(LockClass.MmapLock).KernelName);
        Assert.Equal(LockKind.Spinlock, LockOrder.Info(LockClass.PageTableLock).Kind);
    }

    private static TheoryData<LockClass, LockClass> Pairs(LockClass[] chain)
    {
        var data = new TheoryData<LockClass, LockClass>();
        for (int i = 0; i < chain.Length; i++)
        {
            for (int j = i + 1; j < chain.Length; j++)
            {
                data.Add(chain[i], chain[j]);
            }
        }

        return data;
    }
}
