using ShadowPt.Runtime;
using ShadowPt.Runtime.Actors;
using ShadowPt.Runtime.Strategies;
using ShadowPt.Tests.Runtime.Workloads;

namespace ShadowPt.Tests.Runtime.Recording;

/// <summary>A run is a pure function of (scenario, strategy, seed), and its trace hash witnesses it.</summary>
public sealed class TraceHashTests
{
    private const int SeedCount = 50;

    [Fact]
    public void SameRandomSeedGivesSameTraceHashAndSchedule()
    {
        for (ulong seed = 1; seed <= SeedCount; seed++)
        {
            MeshRun first = MeshWorkload.Run(new RandomStrategy(seed));
            MeshRun second = MeshWorkload.Run(new RandomStrategy(seed));
            Assert.Equal(RunOutcome.Quiescent, first.Outcome);
            Assert.Equal(first.TraceHash, second.TraceHash);
            Assert.Equal(first.Schedule.Choices, second.Schedule.Choices);
            Assert.Equal(first.Arrivals, second.Arrivals);
        }
    }

    [Fact]
    public void SamePctSeedGivesSameTraceHashAndSchedule()
    {
        for (ulong seed = 1; seed <= SeedCount; seed++)
        {
            MeshRun first = MeshWorkload.Run(new PctStrategy(seed, depth: 3, stepsEstimate: 300));
            MeshRun second = MeshWorkload.Run(new PctStrategy(seed, depth: 3, stepsEstimate: 300));
            Assert.Equal(RunOutcome.Quiescent, first.Outcome);
            Assert.Equal(first.TraceHash, second.TraceHash);
            Assert.Equal(first.Schedule.Choices, second.Schedule.Choices);
        }
    }

    [Fact]
    public void DifferentSeedsReachDifferentSchedules()
    {
        MeshRun[] runs = Enumerable.Range(1, SeedCount).Select(seed => MeshWorkload.Run(new RandomStrategy((ulong)seed))).ToArray();

        Assert.Equal(SeedCount, runs.Select(r => r.TraceHash).Distinct().Count());
        Assert.Equal(SeedCount, runs.Select(r => string.Join(' ', r.Schedule.Choices)).Distinct().Count());

        // Not only the choices differ: receivers see different arrival orders.
        Assert.Equal(SeedCount, runs.Select(r => string.Join(' ', r.Arrivals[0])).Distinct().Count());
    }

    [Fact]
    public void ScheduleCarriesTheTraceHashOfItsRun()
    {
        MeshRun run = MeshWorkload.Run(new RandomStrategy(5));

        Assert.Equal(run.TraceHash, run.Schedule.TraceHash);
        Assert.Equal(run.Steps, run.Schedule.Steps);
        Assert.Equal("ok", run.Schedule.Result);
        Assert.Equal("random(seed=5)", run.Schedule.Strategy);
        Assert.Equal(16, run.TraceHash.Length);
    }

    [Fact]
    public void TraceHashCoversTraceableContentButOnlyTheTypeOfOtherMessages()
    {
        Assert.NotEqual(HashAfterOneMessage(new Numbered(0, 1)), HashAfterOneMessage(new Numbered(0, 2)));
        Assert.Equal(HashAfterOneMessage(new Opaque(1)), HashAfterOneMessage(new Opaque(2)));
        Assert.NotEqual(HashAfterOneMessage(new Opaque(1)), HashAfterOneMessage(new Numbered(0, 1)));
    }

    private static string HashAfterOneMessage(object message)
    {
        using ActorSystem system = ActorSystem.CreateDeterministic("hash", new RandomStrategy(1));
        system.ActorOf(Props.Create(() => new Sink()), "sink").Tell(message);
        Assert.Equal(RunOutcome.Quiescent, system.Run());
        return system.TraceHash;
    }

    /// <summary>A message that does not implement ITraceable.</summary>
    private sealed record Opaque(int Value);

    private sealed class Sink : ReceiveActor
    {
        public Sink() => ReceiveAny(_ => { });
    }
}
