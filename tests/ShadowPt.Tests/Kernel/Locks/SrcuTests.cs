using ShadowPt.Kernel;

namespace ShadowPt.Tests.Kernel.Locks;

public sealed class SrcuTests
{
    private static readonly LockOwner Reader1 = new(1);
    private static readonly LockOwner Reader2 = new(2);
    private static readonly LockOwner Unregister = new(3);

    [Fact]
    public void SynchronizeReturnsAtOnceWithoutReaders()
    {
        var srcu = new Srcu(LockClass.MmuNotifierSrcu, "mmu_notifier srcu");
        Assert.True(srcu.SynchronizeSrcu(Unregister));
        srcu.AssertInvariants();
    }

    [Fact]
    public void SynchronizeWaitsForEarlierReadersOnlyAndReadersNeverWait()
    {
        var srcu = new Srcu(LockClass.MmuNotifierSrcu, "mmu_notifier srcu");
        int idx1 = srcu.SrcuReadLock(Reader1);
        Assert.False(srcu.SynchronizeSrcu(Unregister));
        int idx2 = srcu.SrcuReadLock(Reader2);
        Assert.NotEqual(idx1, idx2);
        Assert.Equal(new[] { Unregister }, srcu.Synchronizers);
        srcu.AssertInvariants();
        Assert.Equal(new[] { new LockGrant(Unregister, LockMode.Exclusive) }, srcu.SrcuReadUnlock(Reader1, idx1));
        Assert.Empty(srcu.SrcuReadUnlock(Reader2, idx2));
        Assert.Equal(0, srcu.ReaderCount);
    }

    [Fact]
    public void NestedReadSectionsOfOneOwnerAllCount()
    {
        var srcu = new Srcu(LockClass.MmuNotifierSrcu, "mmu_notifier srcu");
        int outer = srcu.SrcuReadLock(Reader1);
        int inner = srcu.SrcuReadLock(Reader1);
        Assert.False(srcu.SynchronizeSrcu(Unregister));
        Assert.Empty(srcu.SrcuReadUnlock(Reader1, inner));
        Assert.Single(srcu.SrcuReadUnlock(Reader1, outer));
        Assert.Throws<KernelBugException>(() => srcu.SrcuReadUnlock(Reader1, outer));
    }

    [Fact]
    public void SynchronizingInsideYourOwnReadSectionIsASelfDeadlock()
    {
        var srcu = new Srcu(LockClass.MmuNotifierSrcu, "mmu_notifier srcu");
        srcu.SrcuReadLock(Reader1);
        Assert.Throws<KernelBugException>(() => srcu.SynchronizeSrcu(Reader1));
    }
}
