using Microsoft.Extensions.Logging;
using ShadowPt.Runtime.Actors;
using Xunit.Sdk;

namespace ShadowPt.Tests.TestKit;

/// <summary>The capturing logger: levels, formatting, and what deterministic runs log.</summary>
public sealed class CapturingLoggerProviderTests
{
    [Fact]
    public void ActorLinesCarryStepTickAndPathAndRespectTheLevel()
    {
        using ActorTestKit kit = ActorTestKit.Deterministic(1, logLevel: LogLevel.Information);
        kit.ActorOf(Props.Create(() => new Talker()), "talker").Tell("hello");
        kit.RunToQuiescence();

        LogLine line = kit.Log.AssertLogged(LogLevel.Information, "hello");

        Assert.Equal("[step 1] [tick 0] /user/talker: said hello", line.Message);
        Assert.Equal(CapturingLoggerProvider.DefaultCategory, line.Category);
        kit.Log.AssertNotLogged("quietly");
        kit.Log.AssertNotLogged("deliver");
    }

    [Fact]
    public void DebugLevelAddsOneDeliveryLinePerStep()
    {
        using ActorTestKit kit = ActorTestKit.Deterministic(1, logLevel: LogLevel.Debug);
        kit.ActorOf(Props.Create(() => new Talker()), "talker").Tell("hello");
        kit.RunToQuiescence();

        Assert.Equal(
            ["[step 1] [tick 0] deliver (outside) -> /user/talker: String", "[step 1] [tick 0] /user/talker: said hello quietly", "[step 1] [tick 0] /user/talker: said hello"],
            kit.Log.Messages);
    }

    [Fact]
    public void AssertLoggedSaysWhatWasLoggedInstead()
    {
        var log = new CapturingLoggerProvider();
        log.CreateLogger("test").LogWarning("something else");

        var e = Assert.Throws<XunitException>(() => log.AssertLogged(LogLevel.Warning, "expected"));

        Assert.Equal("no Warning line contains \"expected\"; captured 1 lines; the last ones:\n  Warning test: something else", e.Message);
        log.Clear();
        Assert.Empty(log.Lines);
    }

    private sealed class Talker : ReceiveActor
    {
        public Talker() => Receive<string>(s =>
        {
            Context.Log.Debug($"said {s} quietly");
            Context.Log.Info($"said {s}");
        });
    }
}
