namespace ShadowPt.Runtime;

/// <summary>
/// An exception that names what kind of violation it is (use-after-free, kernel-bug, ...): when an
/// actor throws it, the run ends with that kind instead of the generic <c>actor-exception</c>, and
/// the exception's message is the report.
/// </summary>
public interface IViolationKind
{
    string ViolationKind { get; }
}
