using ShadowPt.Runtime;
using ShadowPt.Runtime.Actors;
using ShadowPt.Scenarios;

namespace ShadowPt.Tests.Exploration;

/// <summary>
/// A cheap scenario whose violation needs one ordering out of many: <c>senders</c> actors each send the
/// collector their number once, and arriving in exactly descending order is the bug. A few dozen steps per
/// run, so a campaign of hundreds of schedules finds it after several batches.
/// </summary>
internal sealed class RareOrderScenario(int senders = 6) : Scenario
{
    private readonly List<int> _arrived = new();

    public override string Name => "rare-order";

    public override string Summary => $"{senders} senders, a violation when they arrive in descending order";

    public override void Setup(ActorSystem system)
    {
        List<int> arrived = _arrived;
        IActorRef collector = system.ActorOf(Props.Create(() => new Collector(arrived)), "collector");
        for (int i = 0; i < senders; i++)
        {
            int n = i;
            IActorRef sender = system.ActorOf(Props.Create(() => new Sender(collector, n)), $"sender{i}");
            sender.Tell(new Go(), null);
        }
    }

    public override Violation? CheckEnd(ActorSystem system) =>
        _arrived.Count == senders && _arrived.SequenceEqual(Enumerable.Range(0, senders).Reverse())
            ? new Violation("assertion", "the senders arrived in descending order", system.Steps, system.Now)
            : null;

    public override IEnumerable<string> Describe(ActorSystem system)
    {
        yield return "arrived: " + string.Join(' ', _arrived);
    }

    private sealed record Go;

    private sealed record Number(int Value) : ITraceable
    {
        public ulong TraceFingerprint => (ulong)Value;
    }

    private sealed class Sender : ReceiveActor
    {
        public Sender(IActorRef collector, int n) => Receive<Go>(_ => collector.Tell(new Number(n)));
    }

    private sealed class Collector : ReceiveActor
    {
        public Collector(List<int> arrived) => Receive<Number>(m => arrived.Add(m.Value));
    }
}
