using ShadowPt.Runtime;
using ShadowPt.Runtime.Actors;
using ShadowPt.Runtime.Async;
using ShadowPt.Tests.TestKit;

namespace ShadowPt.Tests.Runtime.Actors;

/// <summary>
/// The first reply to an ask travels as the ask itself, later ones in an AskReply: the asker, dead
/// letters and delivery observers must see the same as when every reply was wrapped.
/// </summary>
public sealed class AskReplyTests
{
    [Theory]
    [InlineData(1UL)]
    [InlineData(2UL)]
    [InlineData(3UL)]
    public void TheFirstReplyToArriveCompletesTheAskAndALaterOneIsADeadLetter(ulong seed)
    {
        using ActorTestKit kit = ActorTestKit.Deterministic(seed);
        var delivered = new List<object>();
        kit.System.AddDeliveryObserver(d => delivered.Add(d.Message));
        TestProbe server = kit.CreateProbe("server");
        TestProbe other = kit.CreateProbe("other");
        var answers = new List<string>();
        IActorRef asker = kit.ActorOf(Props.Create(() => new Asker(server.Ref, answers)), "asker");

        asker.Tell("go");
        server.ExpectMsg("request");
        IActorRef ask = server.Sender;
        long deadBefore = kit.System.DeadLetters;
        ask.Tell("first", server.Ref);
        ask.Tell("second", other.Ref); // another sender: another channel, so either may arrive first
        kit.RunToQuiescence();

        Assert.Single(answers);
        Assert.Contains(answers[0], new[] { "first", "second" });
        Assert.Equal(deadBefore + 1, kit.System.DeadLetters);
        Assert.Contains("first", delivered);
        Assert.Contains("second", delivered);
        Assert.DoesNotContain(delivered, m => m.GetType().Namespace == typeof(ActorCell).Namespace);
    }

    [Fact]
    public void AnAskSentAsAMessageIsAnOrdinaryMessageAndStillTakesItsReply()
    {
        using ActorTestKit kit = ActorTestKit.Deterministic(1);
        var delivered = new List<object>();
        kit.System.AddDeliveryObserver(d => delivered.Add(d.Message));
        TestProbe server = kit.CreateProbe("server");
        TestProbe holder = kit.CreateProbe("holder");
        var answers = new List<string>();
        IActorRef asker = kit.ActorOf(Props.Create(() => new Asker(server.Ref, answers)), "asker");

        asker.Tell("go");
        server.ExpectMsg("request");
        IActorRef ask = server.Sender;
        server.Send(holder.Ref, ask);
        Assert.Same(ask, holder.ExpectMsg<IActorRef>());
        Assert.Contains(ask, delivered);

        ask.Tell("answer", holder.Ref);
        kit.RunToQuiescence();
        Assert.Equal(["answer"], answers);
    }

    /// <summary>Asks the server once per "go" and records the answer.</summary>
    private sealed class Asker : ReceiveActor
    {
        public Asker(IActorRef server, List<string> answers)
        {
            ReceiveAsync<string>(async _ => answers.Add(await AskOnce(server)));
        }

        private ActorTask<string> AskOnce(IActorRef server) => AskCore(Context, server);

        private static async ActorTask<string> AskCore(IActorContext context, IActorRef server) => await context.Ask<string>(server, "request");
    }
}
