using ShadowPt.Actors;
using ShadowPt.Kernel;
using ShadowPt.Runtime.Actors;
using ShadowPt.Runtime.Async;

namespace ShadowPt.Tests.Checking;

/// <summary>
/// A stand-in for a CPU running one kernel path written by a test: its own <see cref="KernelContext"/>
/// on the machine's memory actor and event stream, as task <c>pid</c> on CPU <c>cpu</c>. The path
/// runs when the actor gets <see cref="ProcessActor.Start"/>; the actor stays suspended while it waits.
/// </summary>
internal sealed class KernelPathActor : ReceiveActor
{
    public KernelPathActor(Machine machine, int cpu, int pid, Func<KernelContext, ActorTask> path)
    {
        var k = new KernelContext(Context, machine.Memory, machine.Cpus, new CpuId(cpu), machine.Config, KernelHooks.None, machine.Events)
        {
            CurrentPid = pid,
        };
        ReceiveAsync<ProcessActor.Start>(_ => path(k));
    }

    /// <summary>Starts <paramref name="path"/> as task <paramref name="pid"/> on CPU <paramref name="cpu"/> of <paramref name="machine"/>.</summary>
    public static IActorRef Start(Machine machine, string name, int cpu, int pid, Func<KernelContext, ActorTask> path)
    {
        IActorRef actor = machine.System.ActorOf(Props.Create(() => new KernelPathActor(machine, cpu, pid, path)), name);
        actor.Tell(ProcessActor.Start.Instance, null);
        return actor;
    }
}
