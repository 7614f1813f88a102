using ShadowPt.Kernel;
using ShadowPt.Runtime;
using ShadowPt.Tests.TestKit;

namespace ShadowPt.Tests.Kernel.Sched;

/// <summary>
/// The per-cpu current view: per_cpu(current_task, cpu) at every step. Two tasks queue on CPU0 (its run
/// queue serves them in arrival order) and one sleeps at the end; the view must change exactly when the CPU
/// takes the next request off its run queue, to that request's task, and nowhere else.
/// </summary>
public sealed class CurrentTaskViewTests
{
    [Fact]
    public void BeforeAnythingRunsEveryCpuRunsItsIdleTask()
    {
        using var sim = new SimMachine(2);
        Assert.Equal(
            [new CpuCurrent(new CpuId(0), 0, "swapper/0", null, false), new CpuCurrent(new CpuId(1), 0, "swapper/1", null, false)],
            CurrentTaskView.Of(sim.State));
        Assert.Equal("cpu0: swapper/0 (idle) | cpu1: swapper/1 (idle)", CurrentTaskView.Describe(sim.State));
    }

    [Theory]
    [InlineData(1UL)]
    [InlineData(2UL)]
    [InlineData(3UL)]
    [InlineData(4UL)]
    public void TheViewChangesExactlyWhenTheRunQueueHandsTheCpuItsNextTask(ulong seed)
    {
        using var sim = new SimMachine(2, seed);
        int a = sim.Spawn("alpha");
        int b = sim.Spawn("beta");
        VirtAddr x = sim.Mmap(a, 0, 1);
        VirtAddr y = sim.Mmap(b, 1, 1);
        sim.Sleep(a, 0); // cpu0 starts idle
        sim.Sleep(b, 1); // beta last ran on cpu1: it must leave it before cpu0 may run it
        var started = new UserOpLog();
        sim.Machine.Events.Add(started);

        // Both ask cpu0 at once; the strategy orders their arrival, the run queue keeps that order.
        sim.Start(a, 0, new AccessOp(x, true, 1));
        sim.Start(b, 0, new AccessOp(y, true, 2));
        sim.Start(a, 0, new SleepOp());
        var changes = new List<(long Step, int Pid)> { (sim.System.Steps, CurrentTaskView.On(sim.State, new CpuId(0)).Pid) };
        while (sim.System.RunSteps(1) == RunOutcome.StepBudgetUsed)
        {
            CpuCurrent now = CurrentTaskView.On(sim.State, new CpuId(0));
            Assert.Equal(now.Pid, sim.State.PerCpu[0].CurrentPid);
            Assert.Equal(now.IsIdle ? "swapper/0" : sim.State.Task(now.Pid).Comm, now.Comm);
            if (now.Pid != changes[^1].Pid)
            {
                changes.Add((sim.System.Steps, now.Pid));
            }
        }

        Assert.Null(sim.System.Violation);
        (int Pid, long Step)[] runQueue = started.Started.Where(s => s.Cpu == 0).Select(s => (s.Pid, s.Step)).ToArray();
        Assert.Equal(3, runQueue.Length);

        // The pids the view went through, after the first idle: each task in run-queue order (consecutive
        // requests of the same task need no switch), then idle when alpha's sleep runs.
        int[] expected = [.. Collapse(runQueue.Select(r => r.Pid)), 0];
        Assert.Equal(0, changes[0].Pid);
        Assert.Equal(expected, changes.Skip(1).Select(c => c.Pid).ToArray());

        // Each switch to a task happened after the CPU took its request, and before the next one was taken.
        for (int i = 1; i < changes.Count - 1; i++)
        {
            int taken = Array.FindLastIndex(runQueue, r => r.Pid == changes[i].Pid && r.Step < changes[i].Step);
            Assert.True(taken >= 0, $"cpu0 switched to pid {changes[i].Pid} at step {changes[i].Step} before taking any request of it");
            Assert.True(taken == runQueue.Length - 1 || runQueue[taken + 1].Step >= changes[i].Step, $"the switch to pid {changes[i].Pid} came after the next request");
        }

        Assert.Equal([a, b, a, 0], expected); // one channel from the test to cpu0: FIFO
        Assert.Equal("cpu0: swapper/0 (idle, lazy " + sim.State.Task(a).Mm!.Id + ")", CurrentTaskView.On(sim.State, new CpuId(0)).ToString());
    }

    private static IEnumerable<int> Collapse(IEnumerable<int> pids)
    {
        int? last = null;
        foreach (int pid in pids)
        {
            if (pid != last)
            {
                yield return pid;
            }

            last = pid;
        }
    }

    /// <summary>Every user operation a CPU took off its run queue, with the step.</summary>
    private sealed class UserOpLog : KernelObserver
    {
        public List<(int Cpu, int Pid, long Step)> Started { get; } = new();

        public override void UserOpStarted(in UserOpEvent e) => Started.Add((e.Cpu.Value, e.Pid, e.Step));
    }
}
