using ShadowPt.Runtime;
using ShadowPt.Runtime.Actors;
using ShadowPt.Tests.TestKit;

namespace ShadowPt.Tests.Runtime.Actors;

/// <summary>
/// A ReceiveActor picks the first matching handler whatever the number of message types it has seen
/// (its per-type cache spills from a small array into a dictionary) and forgets its cache on Become.
/// </summary>
public sealed class ReceiveActorDispatchTests
{
    [Fact]
    public void ManyMessageTypesInTurnEachReachTheFirstMatchingHandler()
    {
        using ActorTestKit kit = ActorTestKit.Deterministic(1);
        TestProbe probe = kit.CreateProbe();
        IActorRef actor = kit.ActorOf(Props.Create(() => new Typed(probe.Ref)), "typed");

        object[] messages = [1, "s", 2L, 3.0, 'c', (byte)4, (short)5, 6u, 7UL, 8f, true, new Uri("http://x"), 9m];
        for (int round = 0; round < 2; round++)
        {
            foreach (object message in messages)
            {
                actor.Tell(message);
                string expected = message switch
                {
                    int => "int",
                    string => "string",
                    ValueType => "value " + message.GetType().Name,
                    _ => "other " + message.GetType().Name,
                };
                Assert.Equal(expected, probe.ExpectMsg<string>());
            }
        }

        actor.Tell("become");
        Assert.Equal("became", probe.ExpectMsg<string>());
        actor.Tell(1);
        Assert.Equal("now any Int32", probe.ExpectMsg<string>());
        actor.Tell("s");
        Assert.Equal("now any String", probe.ExpectMsg<string>());
    }

    private sealed class Typed : ReceiveActor
    {
        public Typed(IActorRef probe)
        {
            Receive<int>(_ => probe.Tell("int"));
            Receive<string>(s => s == "become", _ =>
            {
                Become(() => ReceiveAny(m => probe.Tell("now any " + m.GetType().Name)));
                probe.Tell("became");
            });
            Receive<string>(_ => probe.Tell("string"));
            Receive<ValueType>(v => probe.Tell("value " + v.GetType().Name));
            ReceiveAny(m => probe.Tell("other " + m.GetType().Name));
        }
    }
}
