namespace ShadowPt.Exploration;

/// <summary>
/// One choice point of the execution being explored, kept on <see cref="DfsExplorer"/>'s stack across
/// re-executions: a delivery (which enabled delivery runs next) or a data choice (a boolean or
/// integer the model asked for, every value of which is explored, without reduction).
/// </summary>
internal sealed class ChoiceNode
{
    /// <summary>A data choice node.</summary>
    public ChoiceNode(int range, int step)
    {
        IsData = true;
        Range = range;
        Step = step;
        Enabled = [];
        EnabledGroups = [];
        EnabledReceivers = [];
    }

    /// <summary>A delivery node with the deliveries enabled there.</summary>
    public ChoiceNode(long[] enabled, int[] groups, int[] receivers, int step)
    {
        Enabled = enabled;
        EnabledGroups = groups;
        EnabledReceivers = receivers;
        Step = step;
    }

    public bool IsData { get; }

    /// <summary>Data choices: the number of values; the explored value is <see cref="Value"/>.</summary>
    public int Range { get; }

    /// <summary>Data choices: the value taken by the current execution.</summary>
    public int Value { get; set; }

    /// <summary>The delivery step (0-based) this node chooses, or for a data choice the step during which it was asked (-1: before the first).</summary>
    public int Step { get; }

    /// <summary>Identities of the enabled deliveries (<see cref="DporStrategy.EventId"/>), in ready-list order.</summary>
    public long[] Enabled { get; }

    /// <summary>The dependency group of each enabled delivery's receiver.</summary>
    public int[] EnabledGroups { get; }

    /// <summary>The interned path of each enabled delivery's receiver (for counting preemptions).</summary>
    public int[] EnabledReceivers { get; }

    /// <summary>The delivery the current execution takes here.</summary>
    public long Chosen { get; set; }

    /// <summary>Whether <see cref="Chosen"/> touched other actors in any execution that took it here (then it sleeps as dependent with everything).</summary>
    public bool ChosenGlobal { get; set; }

    /// <summary>The receiver of the previous delivery, when it still has an enabled delivery here (choosing another receiver is a preemption); -1 otherwise.</summary>
    public int PreviousReceiver { get; set; } = -1;

    /// <summary>Preemptions made by the path before this node.</summary>
    public int PreemptionsBefore { get; set; }

    /// <summary>Deliveries to explore from here (all enabled ones without reduction).</summary>
    public HashSet<long> Backtrack { get; } = new();

    /// <summary>Deliveries explored from here already.</summary>
    public HashSet<long> Done { get; } = new();

    /// <summary>The sleep set: deliveries whose continuations are covered elsewhere, with their dependency (group, touched others).</summary>
    public Dictionary<long, (int Group, bool Global)> Sleep { get; } = new();

    /// <summary>Backtrack candidates that the preemption bound kept out, counted once each.</summary>
    public HashSet<long> Pruned { get; } = new();

    public int IndexOf(long id) => Array.IndexOf(Enabled, id);

    /// <summary>Whether taking enabled delivery <paramref name="index"/> here would be a preemption.</summary>
    public bool IsPreemption(int index) => PreviousReceiver >= 0 && EnabledReceivers[index] != PreviousReceiver;
}

/// <summary>What the explorer learns of one delivery step of an execution.</summary>
internal struct StepRecord
{
    /// <summary>The delivery's identity.</summary>
    public long Id;

    /// <summary>Index of its node on the explorer's stack.</summary>
    public int Node;

    /// <summary>Dependency group of its receiver.</summary>
    public int Group;

    /// <summary>Whether it touched more than its receiver (a system message, an actor created or stopped): dependent with everything.</summary>
    public bool Global;

    /// <summary>The step that posted the delivered message (-1: before the first step).</summary>
    public int Poster;

    /// <summary>How many times the clock had advanced before it: steps of different phases are ordered by quiescence.</summary>
    public long Phase;

    /// <summary>Sequence number of the message delivered.</summary>
    public long Sequence;

    /// <summary>Messages posted before its handler ran.</summary>
    public long PostedBefore;
}
