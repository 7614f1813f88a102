using ShadowPt.Actors;
using ShadowPt.Kernel;
using ShadowPt.Tests.TestKit;

namespace ShadowPt.Tests.Actors;

/// <summary>The CPU run loop's parking place: woken once per park, synchronously; misuse is a kernel bug.</summary>
public sealed class RunQueueWaiterTests
{
    [Fact]
    public void AWakeRunsTheParkedContinuationAtOnceAndOnlyOnce()
    {
        var waiter = new RunQueueWaiter();
        int resumed = 0;
        Assert.False(waiter.IsParked);

        waiter.OnCompleted(() => resumed++);
        Assert.True(waiter.IsParked);
        waiter.Wake();

        Assert.Equal(1, resumed);
        Assert.False(waiter.IsParked);
        Assert.Throws<KernelBugException>(waiter.Wake);
    }

    [Fact]
    public void ParkingTwiceIsAKernelBug()
    {
        var waiter = new RunQueueWaiter();
        waiter.OnCompleted(() => { });

        Assert.Throws<KernelBugException>(() => waiter.OnCompleted(() => { }));
    }

    [Fact]
    public void ACpuParksBetweenRequestsAndRunsEveryLaterOne()
    {
        using var sim = new SimMachine(1);
        int a = sim.Spawn("a");
        int b = sim.Spawn("b");
        VirtAddr pa = sim.Mmap(a, 0, 1);
        VirtAddr pb = sim.Mmap(b, 0, 1);

        // Requests one at a time (the loop parks after each) and from two tasks in turn (context switches).
        for (byte i = 1; i <= 5; i++)
        {
            sim.Write(a, 0, pa + i, i);
            sim.Write(b, 0, pb + i, (byte)(i + 100));
            sim.Sleep(a, 0);
        }

        for (byte i = 1; i <= 5; i++)
        {
            Assert.Equal(i, sim.Read(a, 0, pa + i));
            Assert.Equal(i + 100, sim.Read(b, 0, pb + i));
        }

        sim.AssertNoLocksHeld();
        sim.AssertTlbCoherent();
    }
}
