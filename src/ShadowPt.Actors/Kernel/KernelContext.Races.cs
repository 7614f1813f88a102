using ShadowPt.Runtime.Actors;

namespace ShadowPt.Kernel;

/// <summary>
/// The events of the edges between CPUs that are not locks: a task's requests and replies, and the
/// TLB-flush IPIs and their acknowledgements. Each is raised before the message it stands for leaves
/// (or after it arrived), so an observer sees the send before the receive on any scheduler.
/// </summary>
public sealed partial class KernelContext
{
    /// <summary>This CPU is about to run <paramref name="op"/> for task <paramref name="pid"/>.</summary>
    internal void RaiseUserOpStarted(int pid, UserOp op)
    {
        if (Events.HasObservers)
        {
            var e = new UserOpEvent(Cpu, pid, op, null, Actor.Step, Actor.Now);
            Events.Raise(in e, static (o, in x) => o.UserOpStarted(in x));
        }
    }

    /// <summary>This CPU is about to reply <paramref name="result"/> to task <paramref name="pid"/>.</summary>
    internal void RaiseUserOpDone(int pid, UserOp op, UserResult result)
    {
        if (Events.HasObservers)
        {
            var e = new UserOpEvent(Cpu, pid, op, result, Actor.Step, Actor.Now);
            Events.Raise(in e, static (o, in x) => o.UserOpDone(in x));
        }
    }

    /// <summary>This CPU is about to send a flush IPI to <paramref name="target"/>.</summary>
    private void RaiseIpiSent(CpuId target)
    {
        if (Events.HasObservers)
        {
            var e = new IpiEvent(Cpu, target, Actor.Step, Actor.Now);
            Events.Raise(in e, static (o, in x) => o.IpiSent(in x));
        }
    }

    /// <summary>The acknowledgement of <paramref name="target"/> arrived.</summary>
    private void RaiseIpiAckReceived(CpuId target)
    {
        if (Events.HasObservers)
        {
            var e = new IpiEvent(Cpu, target, Actor.Step, Actor.Now);
            Events.Raise(in e, static (o, in x) => o.IpiAckReceived(in x));
        }
    }

    /// <summary>This CPU takes (<paramref name="acking"/> false) or acknowledges (true) a flush IPI from the CPU actor <paramref name="sender"/>.</summary>
    internal void RaiseIpiTaken(IActorRef? sender, bool acking)
    {
        if (!Events.HasObservers)
        {
            return;
        }

        IActorRef? asker = sender is Runtime.Actors.PendingAsk ask ? ask.Owner.Self : sender; // an IPI is an ask: its sender is the ask
        int from = -1;
        for (int i = 0; i < Cpus.Count && from < 0; i++)
        {
            from = Equals(Cpus[i], asker) ? i : -1;
        }

        if (from < 0)
        {
            return; // sent from outside the machine (a test)
        }

        var e = new IpiEvent(new CpuId(from), Cpu, Actor.Step, Actor.Now);
        if (acking)
        {
            Events.Raise(in e, static (o, in x) => o.IpiAcked(in x));
        }
        else
        {
            Events.Raise(in e, static (o, in x) => o.IpiReceived(in x));
        }
    }

    /// <summary>synchronize_srcu of the notifier SRCU returned.</summary>
    private void RaiseSrcuSynchronized()
    {
        if (Events.HasObservers)
        {
            var e = new LockEvent(Cpu, CurrentPid, new LockUse(NotifierSrcuRef.Instance, LockMode.Exclusive, 0, "synchronize_srcu"), [], Actor.InterruptsDisabled, Actor.Step, Actor.Now);
            Events.Raise(e, static (o, x) => o.SrcuSynchronized(x));
        }
    }
}
