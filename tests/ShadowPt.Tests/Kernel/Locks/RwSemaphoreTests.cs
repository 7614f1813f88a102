using ShadowPt.Kernel;

namespace ShadowPt.Tests.Kernel.Locks;

public sealed class RwSemaphoreTests
{
    private static readonly LockOwner A = new(1);
    private static readonly LockOwner B = new(2);
    private static readonly LockOwner C = new(3);
    private static readonly LockOwner D = new(4);
    private static readonly LockOwner E = new(5);

    private static RwSemaphore NewSem() => new(LockClass.MmapLock, "mm1.mmap_lock");

    [Fact]
    public void ReadersShareAndAWriterIsExclusive()
    {
        RwSemaphore sem = NewSem();
        Assert.True(sem.DownRead(A));
        Assert.True(sem.DownRead(B));
        Assert.False(sem.DownWrite(C));
        Assert.Equal(new[] { A, B }, sem.Readers);
        Assert.True(sem.IsHeldBy(A, LockMode.Shared));
        Assert.False(sem.IsHeldBy(C, LockMode.Exclusive));
        sem.AssertInvariants();
    }

    [Fact]
    public void AWaitingWriterBlocksALaterReader()
    {
        RwSemaphore sem = NewSem();
        sem.DownRead(A);
        Assert.False(sem.DownWrite(B));
        Assert.False(sem.DownRead(C));
        Assert.False(sem.DownReadTrylock(D));
        Assert.Equal(new[] { new LockWaiter(B, LockMode.Exclusive), new LockWaiter(C, LockMode.Shared) }, sem.Waiters);
        Assert.Equal(new[] { new LockGrant(B, LockMode.Exclusive) }, sem.UpRead(A));
        Assert.Equal(new[] { new LockGrant(C, LockMode.Shared) }, sem.UpWrite(B));
        sem.AssertInvariants();
    }

    [Fact]
    public void AReaderAtTheHeadWakesEveryQueuedReaderButNotTheWritersBetween()
    {
        RwSemaphore sem = NewSem();
        sem.DownWrite(A);
        sem.DownRead(B);
        sem.DownWrite(C);
        sem.DownRead(D);
        Assert.Equal(new[] { new LockGrant(B, LockMode.Shared), new LockGrant(D, LockMode.Shared) }, sem.UpWrite(A));
        Assert.Equal(new[] { new LockWaiter(C, LockMode.Exclusive) }, sem.Waiters);
        Assert.Empty(sem.UpRead(D));
        Assert.Equal(new[] { new LockGrant(C, LockMode.Exclusive) }, sem.UpRead(B));
        sem.AssertInvariants();
    }

    [Fact]
    public void DowngradeWakesReadersOnlyWhenAReaderHeadsTheQueue()
    {
        RwSemaphore writerFirst = NewSem();
        writerFirst.DownWrite(A);
        writerFirst.DownWrite(B);
        writerFirst.DownRead(C);
        Assert.Empty(writerFirst.DowngradeWrite(A));
        Assert.True(writerFirst.IsHeldBy(A, LockMode.Shared));

        RwSemaphore readerFirst = NewSem();
        readerFirst.DownWrite(A);
        readerFirst.DownRead(B);
        readerFirst.DownWrite(C);
        Assert.Equal(new[] { new LockGrant(B, LockMode.Shared) }, readerFirst.DowngradeWrite(A));
        Assert.Equal(new[] { A, B }, readerFirst.Readers);
        writerFirst.AssertInvariants();
        readerFirst.AssertInvariants();
    }

    [Fact]
    public void CancellingAWaitingWriterLetsTheReadersBehindItIn()
    {
        RwSemaphore sem = NewSem();
        sem.DownRead(A);
        sem.DownWrite(B);
        sem.DownRead(C);
        sem.DownWrite(D);
        sem.DownRead(E);
        Assert.Equal(new[] { new LockGrant(C, LockMode.Shared), new LockGrant(E, LockMode.Shared) }, sem.CancelWait(B));
        Assert.Equal(new[] { new LockWaiter(D, LockMode.Exclusive) }, sem.Waiters);
        sem.AssertInvariants();
    }

    [Fact]
    public void TrylocksNeverQueue()
    {
        RwSemaphore sem = NewSem();
        Assert.True(sem.DownWriteTrylock(A));
        Assert.False(sem.DownReadTrylock(B));
        Assert.False(sem.DownWriteTrylock(B));
        Assert.Empty(sem.Waiters);
        sem.UpWrite(A);
        Assert.True(sem.DownReadTrylock(B));
        Assert.False(sem.DownWriteTrylock(C));
    }

    [Fact]
    public void MisuseIsAModelBug()
    {
        RwSemaphore sem = NewSem();
        sem.DownRead(A);
        Assert.Throws<KernelBugException>(() => sem.DownRead(A));
        Assert.Throws<KernelBugException>(() => sem.UpWrite(A));
        Assert.Throws<KernelBugException>(() => sem.UpRead(B));
        Assert.Throws<KernelBugException>(() => sem.CancelWait(B));
    }
}
