using ShadowPt.Actors;
using ShadowPt.Kernel;
using ShadowPt.Runtime.Actors;
using ShadowPt.Runtime.Async;

namespace ShadowPt.Scenarios.BuiltIn.Teaching;

/// <summary>
/// A CPU running one kernel path of a teaching scenario as task <c>pid</c>: its own
/// <see cref="KernelContext"/> on the machine's memory actor and event stream. It switches the task in
/// (per_cpu(current_task) becomes it), runs the path, and goes idle when the path returns, so the per-cpu
/// current view shows who runs where.
/// </summary>
internal sealed class TeachingPathActor : ReceiveActor
{
    public TeachingPathActor(Machine machine, int cpu, int pid, Func<KernelContext, ActorTask> path)
    {
        var id = new CpuId(cpu);
        var k = new KernelContext(Context, machine.Memory, machine.Cpus, id, machine.Config, KernelHooks.None, machine.Events) { CurrentPid = pid };
        ReceiveAsync<ProcessActor.Start>(async _ =>
        {
            await k.Mem("context_switch", s => s.PerCpu[id.Value].CurrentPid = pid);
            await path(k);
            k.AssertNoLocksHeld(path.Method.Name);
            await k.Mem("do_task_dead", s => s.PerCpu[id.Value].CurrentPid = 0);
        });
    }

    /// <summary>Starts <paramref name="path"/> as task <paramref name="pid"/> on CPU <paramref name="cpu"/>.</summary>
    public static IActorRef Start(Machine machine, string name, int cpu, int pid, Func<KernelContext, ActorTask> path)
    {
        IActorRef actor = machine.System.ActorOf(Props.Create(() => new TeachingPathActor(machine, cpu, pid, path)), name);
        actor.Tell(ProcessActor.Start.Instance, null);
        return actor;
    }
}
