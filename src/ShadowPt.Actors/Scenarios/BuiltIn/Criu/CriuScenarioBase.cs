using ShadowPt.Actors;
using ShadowPt.Checking;
using ShadowPt.Runtime;

namespace ShadowPt.Scenarios.BuiltIn.Criu;

/// <summary>
/// What the checkpoint and migration scenarios share: the checks they run on each machine (lockdep,
/// deadlock, TLB coherence, resources at the end) and an optional image directory on disk.
/// </summary>
public abstract class CriuScenarioBase : Scenario, IMachineScenario
{
    private HashSet<string> _checks = new(["lockdep", "deadlock", TlbCoherenceObserver.CheckName, "resources"], StringComparer.Ordinal);

    /// <summary>The machines booted, the first one the source.</summary>
    protected List<Machine> Machines { get; } = new();

    public override IReadOnlySet<string> Checks => _checks;

    public Machine? Machine => Machines.Count > 0 ? Machines[0] : null;

    /// <summary>Where the images are written (a directory the user names); null keeps them in memory.</summary>
    public string? ImageDirectory { get; set; }

    public override void SelectChecks(IReadOnlySet<string> checks)
    {
        ArgumentNullException.ThrowIfNull(checks);
        _checks = new HashSet<string>(checks, StringComparer.Ordinal);
    }

    /// <summary>Attaches the selected checks to <paramref name="machine"/>.</summary>
    protected void Watch(ActorSystem system, Machine machine)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(machine);
        Machines.Add(machine);
        MachineCheckers.Attach(system, machine, _checks);
    }

    /// <summary>The resource checks of every machine, then the scenario's own end check.</summary>
    public sealed override Violation? CheckEnd(ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        if (_checks.Contains("resources"))
        {
            foreach (Machine machine in Machines)
            {
                if (ResourceChecker.CheckEnd(system, machine.State) is Violation v)
                {
                    return v;
                }
            }
        }

        return CheckOutcome(system);
    }

    /// <summary>What the scenario itself checks at the end.</summary>
    protected abstract Violation? CheckOutcome(ActorSystem system);

    /// <summary>A violation at the end of the run.</summary>
    protected static Violation Fail(ActorSystem system, string kind, string message) => new(kind, message, system.Steps, system.Now);
}
