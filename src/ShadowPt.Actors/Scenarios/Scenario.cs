using ShadowPt.Runtime;

namespace ShadowPt.Scenarios;

/// <summary>
/// A workload: the actors it starts and what must hold when it ends. Building a scenario must not
/// use any randomness: every choice goes through the run's strategy.
/// </summary>
public abstract class Scenario
{
    /// <summary>Name on the command line; letters, digits and '-'.</summary>
    public abstract string Name { get; }

    /// <summary>What names this scenario to <c>shadowpt run</c> and in saved schedules: a built-in's name or a file's full path.</summary>
    public virtual string Reference => Name;

    /// <summary>One line for <c>shadowpt scenarios</c>.</summary>
    public abstract string Summary { get; }

    /// <summary>The seed a run uses when none is given.</summary>
    public virtual ulong DefaultSeed => 1;

    /// <summary>The strategy a run uses when the command line names none; null for the runner's default.</summary>
    public virtual string? DefaultStrategy => null;

    /// <summary>The steps bound a run uses when the command line names none; null for the runner's default.</summary>
    public virtual long? DefaultStepsMax => null;

    /// <summary>A hash of the scenario's definition when it comes from a file; null for built-ins.</summary>
    public virtual string? ContentHash => null;

    /// <summary>Creates the scenario's actors and sends their first messages.</summary>
    public abstract void Setup(ActorSystem system);

    /// <summary>The checks that run (see <see cref="ScenarioDefinition.CheckNames"/>); scenarios without checkers have none.</summary>
    public virtual IReadOnlySet<string> Checks => new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Replaces the checks the scenario would run (from the command line or config); called before Setup.</summary>
    public virtual void SelectChecks(IReadOnlySet<string> checks)
    {
    }

    /// <summary>Checks the end state of a run that reached quiescence; a violation or null.</summary>
    public virtual Violation? CheckEnd(ActorSystem system) => null;

    /// <summary>
    /// For systematic exploration (DPOR): the name of the state an actor shares with other actors
    /// outside messages, or null when it shares none. Deliveries to actors of one group are treated
    /// as dependent, like deliveries to one actor; a scenario whose actors share objects must say so here.
    /// </summary>
    public virtual string? SharedStateGroup(string actorPath) => null;

    /// <summary>Lines describing the end state, printed before the summary.</summary>
    public virtual IEnumerable<string> Describe(ActorSystem system) => [];
}
