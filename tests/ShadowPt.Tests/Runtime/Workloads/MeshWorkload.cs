using Microsoft.Extensions.Logging;
using ShadowPt.Runtime;
using ShadowPt.Runtime.Actors;
using ShadowPt.Runtime.Async;
using ShadowPt.Runtime.Recording;
using ShadowPt.Runtime.Strategies;
using ShadowPt.Tests.TestKit;

namespace ShadowPt.Tests.Runtime.Workloads;

/// <summary>
/// A workload with real nondeterminism: several async senders each send one numbered message per
/// round to every receiver, yield or ask a receiver chosen through the strategy between rounds, and
/// the test itself sends numbered messages from outside. Receivers record the arrival order and
/// answer asks with what they have seen, so replies depend on the interleaving.
/// </summary>
internal static class MeshWorkload
{
    /// <summary>The sender index of messages the test sends from outside.</summary>
    public const int OutsideSender = -1;

    /// <summary>Runs the mesh to its end on <paramref name="strategy"/>, logging at <paramref name="logLevel"/> (None: no logging).</summary>
    public static MeshRun Run(SchedulingStrategy strategy, MeshShape? shape = null, LogLevel logLevel = LogLevel.None, RuntimeLimits? limits = null)
    {
        MeshShape s = shape ?? new MeshShape();
        var log = new CapturingLoggerProvider(logLevel);
        using ActorSystem system = ActorSystem.CreateDeterministic("mesh", strategy, limits, log.Logger);
        var receivers = new List<MeshReceiver>();
        var receiverRefs = new List<IActorRef>();
        for (int r = 0; r < s.Receivers; r++)
        {
            receiverRefs.Add(system.ActorOf(Props.Create(() => Track(receivers, new MeshReceiver())), $"r{r}"));
        }

        for (int i = 0; i < s.Senders; i++)
        {
            int index = i;
            system.ActorOf(Props.Create(() => new MeshSender(index, receiverRefs, s)), $"s{i}").Tell(new Start());
        }

        for (int round = 0; round < s.OutsideRounds; round++)
        {
            foreach (IActorRef receiver in receiverRefs)
            {
                receiver.Tell(new Numbered(OutsideSender, round));
            }
        }

        RunOutcome outcome = system.Run();
        return new MeshRun(
            outcome,
            system.TraceHash,
            system.CaptureSchedule("mesh", null, 0),
            system.Violation,
            receivers.Select(r => (IReadOnlyList<Numbered>)r.Arrivals).ToArray(),
            log.Messages,
            system.Steps);
    }

    /// <summary>Asserts per-pair FIFO and exactly-once: every receiver got rounds 0..n-1 from every sender, in order.</summary>
    public static void AssertEveryPairInOrder(MeshRun run, MeshShape? shape = null)
    {
        MeshShape s = shape ?? new MeshShape();
        Assert.Equal(RunOutcome.Quiescent, run.Outcome);
        Assert.Null(run.Violation);
        for (int r = 0; r < run.Arrivals.Count; r++)
        {
            for (int sender = OutsideSender; sender < s.Senders; sender++)
            {
                int rounds = sender == OutsideSender ? s.OutsideRounds : s.Rounds;
                int[] seen = run.Arrivals[r].Where(n => n.Sender == sender).Select(n => n.Round).ToArray();
                Assert.Equal(Enumerable.Range(0, rounds), seen);
            }
        }
    }

    private static T Track<T>(List<T> all, T actor)
    {
        all.Add(actor);
        return actor;
    }
}

/// <summary>The size of a <see cref="MeshWorkload"/>.</summary>
internal sealed record MeshShape(int Senders = 4, int Receivers = 3, int Rounds = 12, int AskEvery = 3, int OutsideRounds = 4);

/// <summary>What one mesh run produced.</summary>
internal sealed record MeshRun(
    RunOutcome Outcome,
    string TraceHash,
    Schedule Schedule,
    Violation? Violation,
    IReadOnlyList<IReadOnlyList<Numbered>> Arrivals,
    IReadOnlyList<string> Log,
    long Steps);

/// <summary>Round <paramref name="Round"/> of sender <paramref name="Sender"/>; its content is in the trace hash.</summary>
internal sealed record Numbered(int Sender, int Round) : ITraceable
{
    public ulong TraceFingerprint => ((ulong)(uint)Sender << 32) | (uint)Round;
}

/// <summary>Starts a sender.</summary>
internal sealed record Start;

/// <summary>Asks a receiver how many messages it has seen.</summary>
internal sealed record Query(int Sender);

/// <summary>How many messages a receiver had seen when asked.</summary>
internal sealed record Answer(int Seen) : ITraceable
{
    public ulong TraceFingerprint => (ulong)Seen;
}

/// <summary>Sends its rounds; between rounds it yields or asks a receiver the strategy picks.</summary>
internal sealed class MeshSender : ReceiveActor
{
    public MeshSender(int index, IReadOnlyList<IActorRef> receivers, MeshShape shape)
    {
        ReceiveAsync<Start>(_ => SendRounds(index, receivers, shape));
    }

    private async ActorTask SendRounds(int index, IReadOnlyList<IActorRef> receivers, MeshShape shape)
    {
        for (int round = 0; round < shape.Rounds; round++)
        {
            foreach (IActorRef receiver in receivers)
            {
                receiver.Tell(new Numbered(index, round));
            }

            if (round % shape.AskEvery == 0)
            {
                IActorRef asked = receivers[Context.ChooseInteger(receivers.Count)];
                Answer answer = await Context.Ask<Answer>(asked, new Query(index));
                Context.Log.Debug($"{asked.Path} had seen {answer.Seen}");
            }
            else
            {
                await Context.Yield();
            }
        }
    }
}

/// <summary>Records arrivals; answers queries with their count.</summary>
internal sealed class MeshReceiver : ReceiveActor
{
    public MeshReceiver()
    {
        Receive<Numbered>(n =>
        {
            Arrivals.Add(n);
            Context.Log.Debug($"got {n.Sender}:{n.Round}");
        });
        Receive<Query>(_ => Sender.Tell(new Answer(Arrivals.Count)));
    }

    public List<Numbered> Arrivals { get; } = new();
}
