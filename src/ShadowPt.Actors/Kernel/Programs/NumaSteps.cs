using System.Globalization;

namespace ShadowPt.Kernel.Programs;

/// <summary>
/// A hot loop: the task writes <see cref="Value"/> to one page once per tick for <see cref="Ticks"/>
/// ticks and never sleeps (the seed's <c>for (;;) x = 1;</c>), so it stays running and NUMA balancing
/// scans it.
/// </summary>
public sealed record SpinStep(string Label, int PageOffset, long Ticks, byte Value) : LabelStep(Label, PageOffset, 1)
{
    /// <summary>Most ticks one spin may last.</summary>
    public const long TicksMax = 1_000_000;

    public override string Text =>
        $"spin({PageText(Label, PageOffset)}, {Ticks.ToString(CultureInfo.InvariantCulture)} ticks, 0x{Value.ToString("x2", CultureInfo.InvariantCulture)})";
}

/// <summary>set_mempolicy: MPOL_DEFAULT (no nodes) or MPOL_BIND to a node mask.</summary>
public sealed record SetMempolicyStep(MemPolicyMode Mode, ulong Nodes) : ProgramStep
{
    public override string Text => Mode == MemPolicyMode.Bind
        ? $"set_mempolicy(MPOL_BIND, 0x{Nodes.ToString("x", CultureInfo.InvariantCulture)})"
        : "set_mempolicy(MPOL_DEFAULT)";
}
