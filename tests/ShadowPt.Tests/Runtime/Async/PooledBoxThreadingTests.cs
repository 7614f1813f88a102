using ShadowPt.Runtime;
using ShadowPt.Runtime.Actors;
using ShadowPt.Runtime.Async;
using ShadowPt.Tests.TestKit;

namespace ShadowPt.Tests.Runtime.Async;

/// <summary>
/// Pooled state-machine boxes under the threaded scheduler: nested async layers of many actors suspend
/// and resume on whichever pool thread drains each mailbox, so boxes go back to other threads' pools
/// than the ones they came from, and every result must still reach its own caller.
/// </summary>
public sealed class PooledBoxThreadingTests
{
    [Fact]
    public void NestedAsyncLayersOfManyActorsOnThePoolGetTheirOwnResults()
    {
        using ActorTestKit kit = ActorTestKit.Threaded();
        TestProbe probe = kit.CreateProbe();
        const int askers = 8;
        const int requests = 25;
        IActorRef[] servers = Enumerable.Range(0, 3).Select(i => kit.ActorOf(Props.Create(() => new Tripler()), $"s{i}")).ToArray();
        for (int i = 0; i < askers; i++)
        {
            IActorRef asker = kit.ActorOf(Props.Create(() => new LayeredAsker(servers, probe.Ref)), $"a{i}");
            for (int r = 0; r < requests; r++)
            {
                asker.Tell(1000 * i + r);
            }
        }

        var results = new HashSet<(int, long)>();
        for (int n = 0; n < askers * requests; n++)
        {
            results.Add(probe.ExpectMsg<(int Start, long Sum)>());
        }

        // Each layer asks every server once (3 * x) and adds what the layer below returned: three layers.
        var expected = new HashSet<(int, long)>();
        for (int i = 0; i < askers; i++)
        {
            for (int r = 0; r < requests; r++)
            {
                int start = 1000 * i + r;
                expected.Add((start, 3L * 9 * start));
            }
        }

        Assert.Equal(expected, results);
        kit.AssertNoViolation();
    }

    private sealed class Tripler : ReceiveActor
    {
        public Tripler() => Receive<int>(n => Sender.Tell(3 * n));
    }

    /// <summary>Handles each start value with three nested async layers, each asking every server.</summary>
    private sealed class LayeredAsker : ReceiveActor
    {
        public LayeredAsker(IActorRef[] servers, IActorRef report)
        {
            ReceiveAsync<int>(async start => report.Tell((start, await Layer(servers, start, 3))));
        }

        private async ActorTask<long> Layer(IActorRef[] servers, int value, int depth)
        {
            long sum = 0;
            foreach (IActorRef server in servers)
            {
                sum += await Context.Ask<int>(server, value);
            }

            return depth == 1 ? sum : sum + await Layer(servers, value, depth - 1);
        }
    }
}
