using ShadowPt.Runtime;
using ShadowPt.Runtime.Recording;
using ShadowPt.Runtime.Scheduling;

namespace ShadowPt.Tests.Runtime.Scheduling;

/// <summary>
/// The process-wide caches of the scheduler hold pure functions of their keys: whatever the order of
/// lookups, the collisions in the direct-mapped table and the threads, they answer what computing afresh does.
/// </summary>
public sealed class RuntimeCachesTests
{
    [Fact]
    public void MessageTypeInfoAnswersTheHashAndTraceableFlagOfEveryTypeFromManyThreads()
    {
        // Far more types than the direct-mapped table has slots, so slots collide and get replaced.
        Type[] types = typeof(ActorSystem).Assembly.GetTypes().Concat(typeof(object).Assembly.GetTypes().Take(500)).ToArray();
        Assert.True(types.Length > 500);

        Parallel.For(0, 4, worker =>
        {
            for (int round = 0; round < 3; round++)
            {
                for (int i = 0; i < types.Length; i++)
                {
                    Type type = types[(i * (worker + 1) + round) % types.Length];
                    MessageTypeInfo info = MessageTypeInfo.Of(type);
                    Assert.Same(type, info.Type);
                    Assert.Equal(TraceHash.OfString(type.FullName ?? type.Name), info.Hash);
                    Assert.Equal(typeof(ITraceable).IsAssignableFrom(type), info.Traceable);
                }
            }
        });
    }

    [Fact]
    public void ChannelDescriptionsAreTheFormattedTextWhetherCachedOrNot()
    {
        foreach (ChannelKind kind in Enum.GetValues<ChannelKind>())
        {
            string first = ChannelDescriptions.Of("/user/a", "/user/b", kind);
            Assert.Equal($"/user/a -> /user/b ({kind.ToString().ToLowerInvariant()})", first);
            Assert.Same(first, ChannelDescriptions.Of(string.Concat("/user/", "a"), "/user/b", kind));
        }

        Assert.Equal("(timer) -> /user/b (user)", ChannelDescriptions.Of("(timer)", "/user/b", ChannelKind.User));
    }
}
