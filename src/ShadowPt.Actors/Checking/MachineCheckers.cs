using ShadowPt.Actors;
using ShadowPt.Runtime;

namespace ShadowPt.Checking;

/// <summary>
/// The checkers every scenario that boots a <see cref="Machine"/> attaches the same way: lockdep, the
/// deadlock checker (deterministic scheduler only: it needs the wait-for graph at quiescent points) and
/// TLB coherence, each when its name is among the selected checks, in that order.
/// </summary>
public static class MachineCheckers
{
    public static void Attach(ActorSystem system, Machine machine, IReadOnlySet<string> checks)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(machine);
        ArgumentNullException.ThrowIfNull(checks);
        if (checks.Contains("lockdep"))
        {
            machine.Events.Add(new LockdepObserver(system));
        }

        if (checks.Contains("deadlock") && system.IsDeterministic)
        {
            DeadlockObserver.Attach(system, machine.Events, machine.State);
        }

        if (checks.Contains(TlbCoherenceObserver.CheckName))
        {
            TlbCoherenceObserver.Attach(system, machine);
        }
    }
}
