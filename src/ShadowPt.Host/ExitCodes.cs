namespace ShadowPt.Host;

/// <summary>The process exit codes of <c>shadowpt</c>.</summary>
internal static class ExitCodes
{
    /// <summary>The run ended without a violation.</summary>
    public const int Ok = 0;

    /// <summary>A violation was found (its report and replay command were printed).</summary>
    public const int Violation = 1;

    /// <summary>Bad input: a missing file, a bad option, a malformed or diverging schedule.</summary>
    public const int BadInput = 2;

    /// <summary>A defect in shadowpt itself.</summary>
    public const int InternalError = 3;

    /// <summary>Interrupted by the user (SIGINT), after saving what there was to save.</summary>
    public const int Interrupted = 130;
}
