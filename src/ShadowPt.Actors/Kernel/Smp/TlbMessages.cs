using ShadowPt.Runtime;

namespace ShadowPt.Kernel;

/// <summary>
/// The TLB-flush IPI (flush_tlb_func run via smp_call_function_many_cond): the receiving CPU drops
/// its translations of <see cref="Mm"/> in <see cref="Range"/> and acknowledges. An interrupt: taken
/// between steps unless the CPU disabled interrupts.
/// </summary>
public sealed record FlushTlbIpi(MmId Mm, AddrRange Range, bool FullMm, long TlbGen) : IInterrupt, ITraceable
{
    public ulong TraceFingerprint => ((ulong)Mm.Value << 48) ^ Range.Start.Value ^ (Range.End.Value << 1) ^ (FullMm ? 1UL : 0);
}

/// <summary>The acknowledgement of a <see cref="FlushTlbIpi"/>.</summary>
public sealed class TlbFlushAck
{
    public static TlbFlushAck Instance { get; } = new();

    private TlbFlushAck()
    {
    }
}
