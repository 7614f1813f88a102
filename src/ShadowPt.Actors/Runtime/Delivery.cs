namespace ShadowPt.Runtime;

/// <summary>
/// One step of a deterministic run as a recorder sees it: the step number, the simulated time, the
/// sender's and receiver's paths, the message (an ask's reply unwrapped to what it carries).
/// </summary>
public readonly record struct Delivery(long Step, Ticks Tick, string SenderPath, string ReceiverPath, object Message);
