using ShadowPt.Kernel;
using ShadowPt.Tests.TestKit;

namespace ShadowPt.Tests.Kernel.Locks;

/// <summary>The held-lock lists of lock events: always what the path held at that event, shared only when equal.</summary>
public sealed class HeldSnapshotTests
{
    /// <summary>Every lock event, with a copy of its held list taken when it was raised.</summary>
    private sealed class LockLog : KernelObserver
    {
        public List<(LockEvent Event, LockUse[] HeldThen)> Events { get; } = new();

        public override void LockAcquiring(LockEvent e) => Events.Add((e, [.. e.Held]));

        public override void LockAcquired(LockEvent e) => Events.Add((e, [.. e.Held]));

        public override void LockReleased(LockEvent e) => Events.Add((e, [.. e.Held]));
    }

    [Fact]
    public void EveryEventKeepsTheListItWasRaisedWithAndEqualListsAreShared()
    {
        using var sim = new SimMachine(2);
        var log = new LockLog();
        sim.Machine.Events.Add(log);
        int pid = sim.Spawn();
        VirtAddr a = sim.Mmap(pid, 0, 4);
        for (int i = 0; i < 4; i++)
        {
            sim.Write(pid, 0, a + ((ulong)i * SimMachine.Page), 1); // faults: mmap_lock, then the PTE lock inside it
        }

        Assert.Contains(log.Events, x => x.Event.Held.Count >= 1);
        foreach ((LockEvent e, LockUse[] then) in log.Events)
        {
            Assert.Equal(then, e.Held); // no later event changed a list an earlier one carried
        }

        var distinct = log.Events.Select(x => x.Event.Held).Where(h => h.Count > 0).Distinct(ReferenceEqualityComparer.Instance).Count();
        Assert.True(distinct < log.Events.Count(x => x.Event.Held.Count > 0), "equal held lists are shared between events");
    }
}
