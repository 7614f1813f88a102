using ShadowPt.Runtime;
using ShadowPt.Runtime.Actors;

namespace ShadowPt.Tests.TestKit;

/// <summary>A message a <see cref="TestProbe"/> received, with its sender and when it arrived (step 0 under the threaded scheduler).</summary>
public sealed record ReceivedMessage(object Message, IActorRef Sender, long Step, Ticks Tick)
{
    /// <summary>"Type { ... } from /user/x at step n", the form failure reports print.</summary>
    public override string ToString() => $"{Message} from {Sender.Path} at step {Step}";
}
