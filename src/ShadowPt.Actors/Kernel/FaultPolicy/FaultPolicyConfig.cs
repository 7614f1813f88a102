namespace ShadowPt.Kernel;

/// <summary>
/// The first seed's experiment: for one chosen process, handle_mm_fault either maps a fresh page
/// filled with <see cref="Fill"/> ('X') or answers "retry later" (VM_FAULT_RETRY). Which one is a
/// choice of the scheduling strategy, so exploration covers both.
/// </summary>
/// <remarks>
/// The process is named by its comm (the scenario's process name), which a fork child inherits, so
/// children are covered too. Only missing-page faults (pte_none) in private anonymous VMAs go through
/// the policy; every other fault takes the normal path. After <see cref="RetriesMax"/> retries of one
/// fault the policy must map: the seed's answer, "in order to avoid keeping retry, you have to fix the
/// mapping anyway".
/// </remarks>
public sealed record FaultPolicyConfig
{
    /// <summary>Most retries one fault may be answered with, whatever the strategy chooses (below <see cref="Fault.FaultRetriesMax"/>).</summary>
    public const int RetriesLimit = 8;

    /// <summary>The retries allowed by default.</summary>
    public const int RetriesDefault = 3;

    /// <summary>'X', the byte the policy's pages are filled with.</summary>
    public const byte FillDefault = 0x58;

    /// <summary>The comm of the chosen process.</summary>
    public required string Process { get; init; }

    /// <summary>Retries one fault may get before the policy must map.</summary>
    public int RetriesMax { get; init; } = RetriesDefault;

    /// <summary>The byte that fills every page the policy maps.</summary>
    public byte Fill { get; init; } = FillDefault;

    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(Process);
        ArgumentOutOfRangeException.ThrowIfNegative(RetriesMax);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(RetriesMax, RetriesLimit);
    }
}
