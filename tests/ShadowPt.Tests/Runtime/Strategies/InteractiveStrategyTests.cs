using ShadowPt.Runtime;
using ShadowPt.Runtime.Recording;
using ShadowPt.Runtime.Strategies;
using ShadowPt.Scenarios;

namespace ShadowPt.Tests.Runtime.Strategies;

/// <summary>The interactive strategy without a terminal: a driver written in the test.</summary>
public sealed class InteractiveStrategyTests
{
    /// <summary>Picks the last option every time and remembers what it was offered.</summary>
    private sealed class LastPick : IStepDriver
    {
        public List<(long Step, int Options, int StrategyPick)> Asked { get; } = new();

        public int Delivered { get; private set; }

        public int ChooseDelivery(IReadOnlyList<StepOption> options, long step, int strategyPick)
        {
            Asked.Add((step, options.Count, strategyPick));
            return options.Count - 1;
        }

        public int ChooseValue(ChoiceKind kind, int maxExclusive, long step, int strategyPick) => maxExclusive - 1;

        public void OnDelivering(StepOption option, long step) => Delivered++;
    }

    private static (ActorSystem System, InteractiveStrategy Strategy) Start(IReadOnlyList<ScheduleChoice> prefix, IStepDriver driver)
    {
        var strategy = new InteractiveStrategy(prefix, new RandomStrategy(5), driver);
        ActorSystem system = ActorSystem.CreateDeterministic("t", strategy);
        ScenarioCatalog.TryCreate("lost-update")!.Setup(system);
        return (system, strategy);
    }

    [Fact]
    public void APrefixReplaysExactlyAndTheDriverIsAskedOnlyAfterIt()
    {
        var first = new LastPick();
        (ActorSystem system, InteractiveStrategy strategy) = Start([], first);
        using (system)
        {
            system.Run();
        }

        IReadOnlyList<ScheduleChoice> all = [.. strategy.Choices];
        Assert.Equal(first.Asked.Count, all.Count(c => c.Kind == ChoiceKind.Delivery));
        Assert.Equal(first.Asked.Count, first.Delivered);

        // Replaying all but the last five deliveries asks only for those, offering the same choices and picks.
        int cut = all.Count - 5;
        var second = new LastPick();
        (ActorSystem again, InteractiveStrategy replayed) = Start(all.Take(cut).ToArray(), second);
        using (again)
        {
            again.Run();
            Assert.Equal(system.TraceHash, again.TraceHash);
        }

        Assert.Equal(all, replayed.Choices);
        Assert.Equal(first.Asked.TakeLast(second.Asked.Count), second.Asked);
        Assert.Equal(first.Delivered, second.Delivered); // narrated replayed deliveries too
    }

    [Fact]
    public void APrefixThatDoesNotFitIsADivergence()
    {
        (ActorSystem system, _) = Start([new ScheduleChoice(ChoiceKind.Delivery, 9999)], new LastPick());
        using (system)
        {
            ScheduleDivergedException e = Assert.Throws<ScheduleDivergedException>(() => system.Run());
            Assert.Equal("step 1: the prefix delivers on channel 9999, which is not enabled", e.Message);
        }
    }

    [Fact]
    public void ADriverEndsTheRunByThrowingAtADeliveryChoice()
    {
        (ActorSystem system, InteractiveStrategy strategy) = Start([], new Quitter());
        using (system)
        {
            Assert.Throws<StepInterruptedException>(() => system.Run());
            Assert.Equal(3, system.Steps);
            Assert.Equal(3, strategy.Choices.Count);
        }
    }

    /// <summary>Takes the strategy's pick three times, then quits.</summary>
    private sealed class Quitter : IStepDriver
    {
        private int _asked;

        public int ChooseDelivery(IReadOnlyList<StepOption> options, long step, int strategyPick) =>
            ++_asked > 3 ? throw new StepInterruptedException("quit") : strategyPick;

        public int ChooseValue(ChoiceKind kind, int maxExclusive, long step, int strategyPick) => strategyPick;

        public void OnDelivering(StepOption option, long step)
        {
        }
    }
}
