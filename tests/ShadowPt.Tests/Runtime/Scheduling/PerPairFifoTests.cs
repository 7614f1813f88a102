using ShadowPt.Runtime.Strategies;
using ShadowPt.Tests.Runtime.Workloads;

namespace ShadowPt.Tests.Runtime.Scheduling;

/// <summary>Akka's one ordering guarantee: messages from one sender to one receiver arrive in send order, exactly once.</summary>
public sealed class PerPairFifoTests
{
    public static TheoryData<ulong> Seeds() => new(Enumerable.Range(1, 20).Select(s => (ulong)s));

    [Theory]
    [MemberData(nameof(Seeds))]
    public void HoldsUnderRandom(ulong seed)
    {
        MeshRun run = MeshWorkload.Run(new RandomStrategy(seed));
        MeshWorkload.AssertEveryPairInOrder(run);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void HoldsUnderPct(ulong seed)
    {
        for (int depth = 1; depth <= 4; depth++)
        {
            MeshRun run = MeshWorkload.Run(new PctStrategy(seed, depth, stepsEstimate: 300));
            MeshWorkload.AssertEveryPairInOrder(run);
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void HoldsUnderReplay(ulong seed)
    {
        MeshRun recorded = MeshWorkload.Run(new RandomStrategy(seed));
        MeshRun replayed = MeshWorkload.Run(new ReplayStrategy(recorded.Schedule));
        MeshWorkload.AssertEveryPairInOrder(replayed);
        Assert.Equal(recorded.Arrivals, replayed.Arrivals);
    }

    [Fact]
    public void InterleavesAcrossPairsSoTheCheckHasTeeth()
    {
        // FIFO per pair must not come from delivering everything in global send order: under a random
        // walk, some receiver sees a later round of one sender before an earlier round of another.
        MeshRun run = MeshWorkload.Run(new RandomStrategy(1));
        bool reordered = run.Arrivals.Any(arrivals => arrivals.Zip(arrivals.Skip(1)).Any(p => p.Second.Round < p.First.Round));
        Assert.True(reordered);
    }
}
