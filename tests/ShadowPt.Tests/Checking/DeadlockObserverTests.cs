using ShadowPt.Actors;
using ShadowPt.Checking;
using ShadowPt.Kernel;
using ShadowPt.Runtime;
using ShadowPt.Runtime.Actors;
using ShadowPt.Runtime.Async;
using ShadowPt.Tests.TestKit;
using Xunit.Abstractions;

namespace ShadowPt.Tests.Checking;

/// <summary>
/// Deadlocks and starvation made on purpose by kernel paths a test writes (<see cref="KernelPathActor"/>
/// on a booted machine), each reported exactly; and the same runs without the checker, which must not
/// differ in anything but the report.
/// </summary>
public sealed class DeadlockObserverTests(ITestOutputHelper output)
{
    private static MmapLockRef MmapLock(int mm) => new(new MmId(mm));

    /// <summary>Takes mm<paramref name="first"/>'s mmap_lock, lets every other path run (a tick), then takes mm<paramref name="second"/>'s.</summary>
    private static Func<KernelContext, ActorTask> TakeBoth(int first, int second, string place) => async k =>
    {
        await k.Lock(MmapLock(first), LockMode.Exclusive, 0, place);
        await k.Actor.Delay(1);
        await k.Lock(MmapLock(second), LockMode.Exclusive, 0, place);
        k.Unlock(MmapLock(second), LockMode.Exclusive, place);
        k.Unlock(MmapLock(first), LockMode.Exclusive, place);
    };

    /// <summary>Two CPUs, two tasks, each about to take the two mmap_locks in opposite orders; with the checker when asked.</summary>
    private static SimMachine Abba(ulong seed, bool check)
    {
        var sim = new SimMachine(2, seed);
        int a = sim.Spawn("abba-a");
        int b = sim.Spawn("abba-b");
        if (check)
        {
            DeadlockObserver.Attach(sim.System, sim.Machine.Events, sim.State);
        }

        KernelPathActor.Start(sim.Machine, "abba0", 0, a, TakeBoth(1, 2, "abba_forward"));
        KernelPathActor.Start(sim.Machine, "abba1", 1, b, TakeBoth(2, 1, "abba_backward"));
        return sim;
    }

    /// <summary>The run's violation, which must be of <paramref name="kind"/> with exactly <paramref name="report"/>.</summary>
    private Violation AssertReport(SimMachine sim, string kind, string report)
    {
        Violation v = Assert.IsType<Violation>(sim.System.Violation);
        output.WriteLine(v.Message);
        Assert.Equal(kind, v.Kind);
        Assert.Equal(report.ReplaceLineEndings("\n") + "\n", v.Message);
        return v;
    }

    [Fact]
    public void AnAbbaDeadlockOfTwoMmapLocksOnTwoCpusIsReportedWithItsCycle()
    {
        using SimMachine sim = Abba(1, check: true);
        Assert.Equal(RunOutcome.Violation, sim.System.Run());
        Violation v = AssertReport(sim, "deadlock", """
            ======================================================
            WARNING: deadlock: a wait-for cycle of 2 tasks
            ------------------------------------------------------
            pid 1 (abba-a) on cpu0 has been blocked since step 10, waiting for lock:
             (mm2->mmap_lock){mm->mmap_lock} write, at: abba_forward
            which is held by pid 2 (abba-b) on cpu1:
             (mm2->mmap_lock){mm->mmap_lock} write, at: abba_backward

            pid 2 (abba-b) on cpu1 has been blocked since step 8, waiting for lock:
             (mm1->mmap_lock){mm->mmap_lock} write, at: abba_backward
            which is held by pid 1 (abba-a) on cpu0:
             (mm1->mmap_lock){mm->mmap_lock} write, at: abba_forward

             Deadlock scenario:

                   CPU0                    CPU1
                   ----                    ----
              lock(mm1->mmap_lock);
                                           lock(mm2->mmap_lock);
              lock(mm2->mmap_lock);
                                           lock(mm1->mmap_lock);

             *** DEADLOCK ***

            locks held:
            1 lock held by pid 1 (abba-a) on cpu0:
             #0: (mm1->mmap_lock){mm->mmap_lock} write, at: abba_forward
            1 lock held by pid 2 (abba-b) on cpu1:
             #0: (mm2->mmap_lock){mm->mmap_lock} write, at: abba_backward
            """);
        Assert.Equal((10L, new Ticks(1)), (v.Step, v.Tick)); // at the first quiescent point after both asked
    }

    [Fact]
    public void EverySeedOfTheAbbaPathsDeadlocksAndTheCheckerChangesNothingButTheVerdict()
    {
        for (ulong seed = 1; seed <= 20; seed++)
        {
            using SimMachine checkedRun = Abba(seed, check: true);
            using SimMachine plainRun = Abba(seed, check: false);
            Assert.Equal(RunOutcome.Violation, checkedRun.System.Run());
            Assert.Equal(RunOutcome.Quiescent, plainRun.System.Run());

            Assert.Equal("deadlock", checkedRun.System.Violation?.Kind);
            Assert.Null(plainRun.System.Violation);
            Assert.Equal(plainRun.System.Steps, checkedRun.System.Steps);
            Assert.Equal(plainRun.System.TraceHash, checkedRun.System.TraceHash);
            Assert.Equal(["/user/abba0", "/user/abba1"], plainRun.System.SuspendedActors());
            Assert.Equal(2, plainRun.State.LockWaits.Count);
        }
    }

    [Fact]
    public void ThreeTasksInACycleOfThreeLocks()
    {
        using var sim = new SimMachine(3, 5);
        int[] pids = [sim.Spawn("ring-a"), sim.Spawn("ring-b"), sim.Spawn("ring-c")];
        DeadlockObserver.Attach(sim.System, sim.Machine.Events, sim.State);
        for (int i = 0; i < 3; i++)
        {
            KernelPathActor.Start(sim.Machine, $"ring{i}", i, pids[i], TakeBoth(i + 1, ((i + 1) % 3) + 1, "ring_" + i));
        }

        Assert.Equal(RunOutcome.Violation, sim.System.Run());
        AssertReport(sim, "deadlock", """
            ======================================================
            WARNING: deadlock: a wait-for cycle of 3 tasks
            ------------------------------------------------------
            pid 1 (ring-a) on cpu0 has been blocked since step 15, waiting for lock:
             (mm2->mmap_lock){mm->mmap_lock} write, at: ring_0
            which is held by pid 2 (ring-b) on cpu1:
             (mm2->mmap_lock){mm->mmap_lock} write, at: ring_1

            pid 2 (ring-b) on cpu1 has been blocked since step 11, waiting for lock:
             (mm3->mmap_lock){mm->mmap_lock} write, at: ring_1
            which is held by pid 3 (ring-c) on cpu2:
             (mm3->mmap_lock){mm->mmap_lock} write, at: ring_2

            pid 3 (ring-c) on cpu2 has been blocked since step 14, waiting for lock:
             (mm1->mmap_lock){mm->mmap_lock} write, at: ring_2
            which is held by pid 1 (ring-a) on cpu0:
             (mm1->mmap_lock){mm->mmap_lock} write, at: ring_0

             Deadlock scenario:

                   CPU0                    CPU1                           CPU2
                   ----                    ----                           ----
              lock(mm1->mmap_lock);
                                           lock(mm2->mmap_lock);
                                                                          lock(mm3->mmap_lock);
              lock(mm2->mmap_lock);
                                           lock(mm3->mmap_lock);
                                                                          lock(mm1->mmap_lock);

             *** DEADLOCK ***

            locks held:
            1 lock held by pid 1 (ring-a) on cpu0:
             #0: (mm1->mmap_lock){mm->mmap_lock} write, at: ring_0
            1 lock held by pid 2 (ring-b) on cpu1:
             #0: (mm2->mmap_lock){mm->mmap_lock} write, at: ring_1
            1 lock held by pid 3 (ring-c) on cpu2:
             #0: (mm3->mmap_lock){mm->mmap_lock} write, at: ring_2
            """);
    }

    [Fact]
    public void ALockNeverReleasedLeavesAWaiterThatIsReportedWhenTheRunIsOver()
    {
        using var sim = new SimMachine(2, 3);
        int holder = sim.Spawn("holder");
        int waiter = sim.Spawn("waiter");
        DeadlockObserver.Attach(sim.System, sim.Machine.Events, sim.State);
        KernelPathActor.Start(sim.Machine, "holder", 0, holder, async k => await k.Lock(MmapLock(1), LockMode.Shared, 0, "forgets_to_unlock"));
        KernelPathActor.Start(sim.Machine, "waiter", 1, waiter, async k =>
        {
            await k.Actor.Delay(1);
            await k.Lock(MmapLock(1), LockMode.Exclusive, 0, "waits_forever");
        });

        Assert.Equal(RunOutcome.Violation, sim.System.Run());
        AssertReport(sim, "deadlock", """
            ======================================================
            WARNING: deadlock: the run is over but 1 task still waits for a lock
            ------------------------------------------------------
            pid 2 (waiter) on cpu1 has been blocked since step 6, waiting for lock:
             (mm1->mmap_lock){mm->mmap_lock} write, at: waits_forever
            which is held by pid 1 (holder) on cpu0:
             (mm1->mmap_lock){mm->mmap_lock} read, at: forgets_to_unlock
            and pid 1 (holder) on cpu0 is not waiting for a lock: it will never release it

            locks held:
            1 lock held by pid 1 (holder) on cpu0:
             #0: (mm1->mmap_lock){mm->mmap_lock} read, at: forgets_to_unlock
            0 locks held by pid 2 (waiter) on cpu1:
            """);
    }

    [Fact]
    public void AWaitWithoutACycleIsNotReportedWhileATimerMayStillEndIt()
    {
        using var sim = new SimMachine(2, 3);
        int holder = sim.Spawn("holder");
        int waiter = sim.Spawn("waiter");
        DeadlockObserver.Attach(sim.System, sim.Machine.Events, sim.State);
        KernelPathActor.Start(sim.Machine, "holder", 0, holder, async k =>
        {
            await k.Lock(MmapLock(1), LockMode.Shared, 0, "sleeps_holding");
            await k.Actor.Delay(5);
            k.Unlock(MmapLock(1), LockMode.Shared, "sleeps_holding");
        });
        KernelPathActor.Start(sim.Machine, "waiter", 1, waiter, async k =>
        {
            await k.Actor.Delay(1);
            await k.Lock(MmapLock(1), LockMode.Exclusive, 0, "waits");
            k.Unlock(MmapLock(1), LockMode.Exclusive, "waits");
        });

        Assert.Equal(RunOutcome.Quiescent, sim.System.Run());
        Assert.Null(sim.System.Violation);
        Assert.Equal(new Ticks(5), sim.System.Now);
        Assert.Equal(0, sim.State.LockWaits.Count);
    }

    [Fact]
    public void AnActorWaitingForAReplyThatNeverComesIsReportedWhenTheRunIsOver()
    {
        using var sim = new SimMachine(1, 1);
        DeadlockObserver.Attach(sim.System, sim.Machine.Events, sim.State);
        IActorRef silent = sim.System.ActorOf(Props.Create(() => new Silent()), "silent");
        KernelPathActor.Start(sim.Machine, "asker", 0, 1, async k => await k.Actor.Ask<object>(silent, "anyone?"));

        Assert.Equal(RunOutcome.Violation, sim.System.Run());
        AssertReport(sim, "deadlock", """
            ======================================================
            WARNING: deadlock: the run is over but 1 actor is still suspended
            ------------------------------------------------------
             /user/asker
            no kernel path waits for a lock: they wait for a message that nothing will send
            """);
    }

    /// <summary>
    /// Three hogs take mm1's mmap_lock in turn, each holding it over a tick and 30 more steps; a fourth
    /// task asks for it after the first hog took it, so it waits while the other two take it first.
    /// </summary>
    private static SimMachine Hogs(long? starvationStepsMax, out DeadlockObserver observer)
    {
        var sim = new SimMachine(4, 2);
        int[] pids = [sim.Spawn("hog-a"), sim.Spawn("hog-b"), sim.Spawn("hog-c"), sim.Spawn("starved")];
        observer = DeadlockObserver.Attach(sim.System, sim.Machine.Events, sim.State, starvationStepsMax ?? DeadlockObserver.StarvationStepsMaxDefault);
        for (int i = 0; i < 3; i++)
        {
            KernelPathActor.Start(sim.Machine, $"hog{i}", i, pids[i], async k =>
            {
                await k.Lock(MmapLock(1), LockMode.Exclusive, 0, "hog");
                await k.Actor.Delay(2);
                for (int y = 0; y < 30; y++)
                {
                    await k.Actor.Yield();
                }

                k.Unlock(MmapLock(1), LockMode.Exclusive, "hog");
            });
        }

        KernelPathActor.Start(sim.Machine, "starved", 3, pids[3], async k =>
        {
            await k.Actor.Delay(1);
            await k.Lock(MmapLock(1), LockMode.Exclusive, 0, "starves");
            k.Unlock(MmapLock(1), LockMode.Exclusive, "starves");
        });
        return sim;
    }

    [Fact]
    public void StarvationIsAWaitLongerThanTheBoundWhileOthersTakeTheLock()
    {
        using SimMachine sim = Hogs(50, out DeadlockObserver observer);
        Assert.Equal(RunOutcome.Violation, sim.System.Run());
        Violation v = AssertReport(sim, "starvation", """
            ======================================================
            WARNING: starvation: a task waited more than 50 steps for a lock that others kept taking
            ------------------------------------------------------
            pid 4 (starved) on cpu3 has waited 66 steps (since step 10) for lock:
             (mm1->mmap_lock){mm->mmap_lock} write, at: starves
            and meanwhile others took it 2 times, last pid 2 (hog-b) on cpu1 at step 76:
             (mm1->mmap_lock){mm->mmap_lock} write, at: hog
            """);
        Assert.Equal(76, v.Step);
        Assert.Equal(v.Message, observer.Report?.Text);
    }

    [Fact]
    public void WithTheDefaultBoundTheSameWaitIsNoStarvation()
    {
        using SimMachine sim = Hogs(null, out DeadlockObserver observer);
        Assert.Equal(RunOutcome.Quiescent, sim.System.Run());
        Assert.Null(observer.Report);
        Assert.Equal(DeadlockObserver.StarvationStepsMaxDefault, observer.StarvationStepsMax);
        Assert.Equal(0, sim.State.LockWaits.Count);
    }

    /// <summary>Takes every message and answers none.</summary>
    private sealed class Silent : ReceiveActor
    {
        public Silent() => ReceiveAny(_ => { });
    }
}
