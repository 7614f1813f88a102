using ShadowPt.Runtime;
using ShadowPt.Runtime.Actors;
using ShadowPt.Runtime.Strategies;

namespace ShadowPt.Tests.Runtime.Strategies;

/// <summary>
/// PCT as documented: the highest-priority actor with an enabled delivery runs; depth d gives d - 1
/// priority change points. Four receivers, each with twenty messages from outside, make it visible:
/// a switch is a delivery to a different receiver than the one before.
/// </summary>
public sealed class PctStrategyTests
{
    private const int Receivers = 4;
    private const int MessagesEach = 20;

    [Fact]
    public void DepthOneNeverPreemptsTheHighestPriorityActorDrainsFirst()
    {
        var blockOrders = new HashSet<string>();
        for (ulong seed = 1; seed <= 20; seed++)
        {
            int[] order = DeliveryOrder(new PctStrategy(seed, depth: 1, stepsEstimate: Receivers * MessagesEach));
            Assert.Equal(Receivers - 1, Switches(order));
            blockOrders.Add(string.Join(' ', order.Distinct()));
        }

        // Which actor drains first follows the seeded priorities.
        Assert.True(blockOrders.Count > 1);
    }

    [Fact]
    public void DepthTwoPreemptsAtMostOnce()
    {
        var switchCounts = new HashSet<int>();
        for (ulong seed = 1; seed <= 20; seed++)
        {
            int[] order = DeliveryOrder(new PctStrategy(seed, depth: 2, stepsEstimate: Receivers * MessagesEach));
            switchCounts.Add(Switches(order));
        }

        Assert.Equal([Receivers - 1, Receivers], switchCounts.Order());
    }

    [Fact]
    public void RandomInterleavesReceiversUnderEverySeed()
    {
        for (ulong seed = 1; seed <= 20; seed++)
        {
            int[] order = DeliveryOrder(new RandomStrategy(seed));
            Assert.True(Switches(order) > Receivers * 4, $"seed {seed}: {Switches(order)} switches");
        }
    }

    [Fact]
    public void DescriptionNamesEveryParameterAndRejectsBadDepth()
    {
        Assert.Equal("pct(depth=3, steps-estimate=300, seed=9)", new PctStrategy(9, 3, 300).Description);
        Assert.Throws<ArgumentOutOfRangeException>(() => new PctStrategy(1, 0, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PctStrategy(1, PctStrategy.DepthMax + 1, 10));
    }

    private static int[] DeliveryOrder(SchedulingStrategy strategy)
    {
        using ActorSystem system = ActorSystem.CreateDeterministic("pct", strategy);
        var order = new List<int>();
        for (int r = 0; r < Receivers; r++)
        {
            int index = r;
            IActorRef receiver = system.ActorOf(Props.Create(() => new Recorder(index, order)), $"r{r}");
            for (int m = 0; m < MessagesEach; m++)
            {
                receiver.Tell(m);
            }
        }

        Assert.Equal(RunOutcome.Quiescent, system.Run());
        Assert.Equal(Receivers * MessagesEach, order.Count);
        return order.ToArray();
    }

    private static int Switches(int[] order) => order.Zip(order.Skip(1)).Count(p => p.First != p.Second);

    private sealed class Recorder : ReceiveActor
    {
        public Recorder(int index, List<int> order) => ReceiveAny(_ => order.Add(index));
    }
}
