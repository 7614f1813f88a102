using Microsoft.Extensions.Logging;
using ShadowPt.Runtime;
using ShadowPt.Runtime.Actors;
using ShadowPt.Runtime.Strategies;
using Xunit.Sdk;

namespace ShadowPt.Tests.TestKit;

/// <summary>
/// A test's actor world in one object, as Akka's <c>TestKit</c>: the system, a capturing log, and
/// probes. <c>using var kit = ActorTestKit.Deterministic(seed: 7);</c> then create actors and probes.
/// </summary>
public sealed class ActorTestKit : IDisposable
{
    private ActorTestKit(Func<ILogger, ActorSystem> create, LogLevel logLevel)
    {
        Log = new CapturingLoggerProvider(logLevel);
        System = create(Log.Logger);
    }

    public ActorSystem System { get; }

    /// <summary>Everything the system and its actors logged at or above the kit's level.</summary>
    public CapturingLoggerProvider Log { get; }

    /// <summary>A deterministic system on a seeded random walk.</summary>
    public static ActorTestKit Deterministic(ulong seed = 1, RuntimeLimits? limits = null, LogLevel logLevel = LogLevel.Information)
        => Deterministic(new RandomStrategy(seed), limits, logLevel);

    /// <summary>A deterministic system on <paramref name="strategy"/>.</summary>
    public static ActorTestKit Deterministic(SchedulingStrategy strategy, RuntimeLimits? limits = null, LogLevel logLevel = LogLevel.Information)
    {
        ArgumentNullException.ThrowIfNull(strategy);
        return new ActorTestKit(logger => ActorSystem.CreateDeterministic("test", strategy, limits, logger), logLevel);
    }

    /// <summary>A threaded system on the thread pool.</summary>
    public static ActorTestKit Threaded(ThreadedOptions? options = null, RuntimeLimits? limits = null, LogLevel logLevel = LogLevel.Information)
        => new(logger => ActorSystem.CreateThreaded("test", options, limits, logger), logLevel);

    public IActorRef ActorOf(Props props, string? name = null) => System.ActorOf(props, name);

    public TestProbe CreateProbe(string? name = null) => new(System, name);

    /// <summary>Runs the deterministic system to quiescence and asserts that it got there without a violation.</summary>
    public void RunToQuiescence()
    {
        RunOutcome outcome = System.Run();
        if (outcome != RunOutcome.Quiescent || System.Violation is not null)
        {
            throw new XunitException(
                $"expected the run to go quiescent, but it ended with {outcome} at step {System.Steps}"
                + (System.Violation is { } v ? $": {v.Kind}: {v.Message}" : string.Empty));
        }
    }

    /// <summary>Asserts that the run so far has no violation.</summary>
    public void AssertNoViolation()
    {
        if (System.Violation is { } v)
        {
            throw new XunitException($"expected no violation, but got {v.Kind} at step {v.Step}: {v.Message}");
        }
    }

    public void Dispose()
    {
        System.Dispose();
        Log.Dispose();
    }
}
