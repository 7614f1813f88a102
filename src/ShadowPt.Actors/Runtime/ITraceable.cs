namespace ShadowPt.Runtime;

/// <summary>
/// A message whose content, not only its type, belongs in the trace hash. Implement it on
/// messages whose payload matters to determinism checks (addresses, values, ids).
/// </summary>
public interface ITraceable
{
    /// <summary>A stable fingerprint of the message's content: equal content, equal fingerprint, in every process.</summary>
    ulong TraceFingerprint { get; }
}

/// <summary>
/// Marks a message as an interrupt: it is delivered even while its receiver awaits inside an
/// async handler (as an IPI reaches a CPU spinning on a lock), unless the receiver disabled interrupts.
/// </summary>
public interface IInterrupt;
