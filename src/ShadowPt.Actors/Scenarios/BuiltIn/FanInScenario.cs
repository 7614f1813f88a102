using ShadowPt.Runtime;
using ShadowPt.Runtime.Actors;

namespace ShadowPt.Scenarios.BuiltIn;

/// <summary>
/// The smallest workload whose interleavings can be counted by hand: <c>senders</c> actors each get
/// a start message and send one note to a collector, which logs the order the notes arrive in. The
/// starts are independent of each other; the notes all go to one actor, so the executions fall into
/// senders! equivalence classes (one per arrival order), out of (2·senders)!/2^senders interleavings.
/// With <c>expectOrder</c> the end check demands ascending arrival: a race that some orders lose.
/// </summary>
public sealed class FanInScenario(string name, int senders, bool expectOrder = false) : Scenario
{
    /// <summary>Most senders accepted.</summary>
    public const int SendersMax = 16;

    /// <summary>The collector's log, shared with the end check (read only after the run).</summary>
    private readonly List<int> _arrivals = new();

    public override string Name => name;

    public override string Summary => expectOrder
        ? $"{senders} actors each send a note to a collector that expects them in order: some interleavings break it"
        : $"{senders} actors each send a note to a collector; {senders}! arrival orders, the smallest case to exhaust (shadowpt explore {name} --strategy dfs)";

    public override void Setup(ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(senders);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(senders, SendersMax);
        List<int> arrivals = _arrivals;
        IActorRef collector = system.ActorOf(Props.Create(() => new Collector(arrivals)), "collector");
        for (int i = 0; i < senders; i++)
        {
            int me = i;
            IActorRef sender = system.ActorOf(Props.Create(() => new Sender(collector, me)), $"sender{i}");
            sender.Tell(Note.Start, null);
        }
    }

    public override Violation? CheckEnd(ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        if (!expectOrder)
        {
            return _arrivals.Count == senders ? null : new Violation("assertion", $"{_arrivals.Count} of {senders} notes arrived", system.Steps, system.Now);
        }

        for (int i = 1; i < _arrivals.Count; i++)
        {
            if (_arrivals[i] < _arrivals[i - 1])
            {
                return new Violation("assertion", $"notes arrived out of order: {string.Join(' ', _arrivals)}", system.Steps, system.Now);
            }
        }

        return null;
    }

    public override IEnumerable<string> Describe(ActorSystem system)
    {
        yield return $"arrivals: {string.Join(' ', _arrivals)}";
    }

    private sealed class Collector : ReceiveActor
    {
        public Collector(List<int> arrivals) => Receive<Note>(n => arrivals.Add(n.From));
    }

    private sealed class Sender : ReceiveActor
    {
        public Sender(IActorRef collector, int me) => Receive<Note>(_ => collector.Tell(new Note(me), Self));
    }

    private sealed record Note(int From) : ITraceable
    {
        public static Note Start { get; } = new(-1);

        public ulong TraceFingerprint => (ulong)(From + 1);
    }
}
