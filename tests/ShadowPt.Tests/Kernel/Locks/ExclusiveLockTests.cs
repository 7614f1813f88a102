using ShadowPt.Kernel;

namespace ShadowPt.Tests.Kernel.Locks;

public sealed class ExclusiveLockTests
{
    private static readonly LockOwner A = new(1);
    private static readonly LockOwner B = new(2);
    private static readonly LockOwner C = new(3);

    [Fact]
    public void SpinlockHandsOffToWaitersInArrivalOrder()
    {
        var ptl = new Spinlock(LockClass.PageTableLock, "ptl@0x5");
        Assert.True(ptl.Lock(A));
        Assert.False(ptl.Lock(C));
        Assert.False(ptl.Lock(B));
        Assert.False(ptl.TryLock(new LockOwner(9)));
        Assert.Equal(new LockGrant(C, LockMode.Exclusive), ptl.Unlock(A));
        Assert.Equal(new LockGrant(B, LockMode.Exclusive), ptl.Unlock(C));
        Assert.Null(ptl.Unlock(B));
        Assert.False(ptl.IsLocked);
        Assert.Throws<KernelBugException>(() => ptl.Unlock(B));
        ptl.AssertInvariants();
    }

    [Fact]
    public void SpinningOnALockYouHoldIsASelfDeadlock()
    {
        var ptl = new Spinlock(LockClass.PageTableLock, "ptl@0x5");
        ptl.Lock(A);
        KernelBugException e = Assert.Throws<KernelBugException>(() => ptl.Lock(A));
        Assert.Contains("self-deadlock", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MutexWaitCanBeCancelledWithoutDisturbingTheQueue()
    {
        var mutex = new KernelMutex(LockClass.ShadowPtLock, "shadowpt");
        mutex.Lock(A);
        mutex.Lock(B);
        mutex.Lock(C);
        mutex.CancelWait(B);
        Assert.Equal(new[] { C }, mutex.Waiters);
        Assert.Equal(new LockGrant(C, LockMode.Exclusive), mutex.Unlock(A));
        Assert.True(mutex.IsLocked);
        Assert.Throws<KernelBugException>(() => mutex.CancelWait(B));
        mutex.AssertInvariants();
    }
}
