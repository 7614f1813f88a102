using ShadowPt.Checking;
using ShadowPt.Kernel;
using ShadowPt.Runtime;

namespace ShadowPt.Tests.Checking;

/// <summary>The lock tracker keeps its tasks in pid order whatever order they first took a lock in.</summary>
public sealed class TaskLockTrackerTests
{
    private static LockEvent Event(int pid, LockRef lockRef) =>
        new(new CpuId(0), pid, new LockUse(lockRef, LockMode.Exclusive, 0, "test"), [], false, 1, new Ticks(0));

    [Fact]
    public void TasksAreListedInPidOrderAndOthersWaitingCountEachTake()
    {
        var tracker = new TaskLockTracker();
        var mmap = new MmapLockRef(new MmId(1));
        foreach (int pid in new[] { 7, 2, 9, 4, 2 })
        {
            tracker.OnAcquiring(Event(pid, mmap));
        }

        tracker.OnAcquired(Event(4, mmap));

        Assert.Equal([2, 4, 7, 9], tracker.Tasks.Select(t => t.Pid));
        Assert.Equal([2, 4, 7, 9], tracker.InPidOrder.Select(t => t.Pid));
        Assert.Equal([1, 0, 1, 1], tracker.Tasks.Select(t => t.TakenByOthers));
        Assert.Same(tracker.Find(9), tracker.InPidOrder[^1]);
        Assert.Null(tracker.Find(3));
    }
}
