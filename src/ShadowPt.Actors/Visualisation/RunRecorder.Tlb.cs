using ShadowPt.Kernel;
using static ShadowPt.Visualisation.KernelNames;

namespace ShadowPt.Visualisation;

/// <summary>The recorder's TLB side: PTE writes, shootdowns (flush_tlb_mm_range spans), IPIs and their acknowledgements as flows.</summary>
public sealed partial class RunRecorder
{
    public override void PteChanged(PteChange e)
    {
        ArgumentNullException.ThrowIfNull(e);
        int track = TrackOf(e.Place.Cpu);
        _timeline.Add(new RecordedEvent(e.Place.Step, _system.Now.Value, track, e.Place.Pid, RecordedPhase.Instant, "pte", "set_pte " + Hex(e.Address.Value))
        {
            Fields = [new("mm", e.Mm.ToString()), new("address", Hex(e.Address.Value)), new("old", Hex(e.Old.Value)), new("new", Hex(e.New.Value)), new("by", e.Place.Function)],
            Ftrace = "set_pte",
        });
    }

    public override void TlbShootdownStarted(TlbShootdown e)
    {
        ArgumentNullException.ThrowIfNull(e);
        int cpu = e.Initiator.Value;
        long tick = _system.Now.Value;
        string targets = string.Join(",", e.Targets.Select(t => Dec(t.Value)));
        KeyValuePair<string, string>[] range = e.FullMm
            ? [new("mm", e.Mm.ToString()), new("start", "0"), new("end", "TLB_FLUSH_ALL")]
            : [new("mm", e.Mm.ToString()), new("start", Hex(e.Range.Start.Value)), new("end", Hex(e.Range.End.Value))];
        _timeline.Begin(ShootdownKey(e), new RecordedEvent(e.Place.Step, tick, cpu, e.Place.Pid, RecordedPhase.Begin, "tlb", "flush_tlb_mm_range")
        {
            Fields = [.. range, new("new_tlb_gen", Dec(e.TlbGen)), new("ipi_cpus", targets.Length == 0 ? "none" : targets), new("by", e.Place.Function)],
        });
        _timeline.Add(new RecordedEvent(e.Place.Step, tick, cpu, e.Place.Pid, RecordedPhase.Instant, "tlb", "tlb_flush (local)")
        {
            Fields = [new("pages", e.FullMm ? "-1" : Dec((long)e.Range.Pages)), new("reason", "local mm shootdown")],
            Ftrace = "tlb_flush",
        });
    }

    public override void TlbShootdownCompleted(TlbShootdown e)
    {
        ArgumentNullException.ThrowIfNull(e);
        _timeline.End(e.Initiator.Value, ShootdownKey(e), _system.Steps, _system.Now);
    }

    private static string ShootdownKey(TlbShootdown e) => "shootdown:" + e.Mm.ToString() + ":" + Dec(e.TlbGen);

    public override void IpiSent(in IpiEvent e)
    {
        long flow = _timeline.NewFlow();
        Queue(_ipis, (e.From.Value, e.To.Value)).Enqueue(flow);
        _timeline.Add(new RecordedEvent(e.Step, e.Tick.Value, e.From.Value, 0, RecordedPhase.FlowStart, "ipi", "IPI")
        {
            FlowId = flow,
            Fields = [new("target_cpus", Dec(e.To.Value)), new("callsite", "flush_tlb_mm_range"), new("callback", "flush_tlb_func")],
            Ftrace = "ipi_send_cpu",
        });
    }

    public override void IpiReceived(in IpiEvent e)
    {
        int cpu = e.To.Value;
        _timeline.Begin("ipi:" + Dec(e.From.Value), new RecordedEvent(e.Step, e.Tick.Value, cpu, 0, RecordedPhase.Begin, "ipi", "flush_tlb_func")
        {
            Fields = [new("from_cpu", Dec(e.From.Value))],
            Ftrace = "ipi_entry",
        });
        if (_ipis.TryGetValue((e.From.Value, cpu), out Queue<long>? flows) && flows.TryDequeue(out long flow))
        {
            _timeline.Add(new RecordedEvent(e.Step, e.Tick.Value, cpu, 0, RecordedPhase.FlowEnd, "ipi", "IPI") { FlowId = flow });
        }

        _timeline.Add(new RecordedEvent(e.Step, e.Tick.Value, cpu, 0, RecordedPhase.Instant, "tlb", "tlb_flush (remote)")
        {
            Fields = [new("reason", "remote shootdown")],
            Ftrace = "tlb_flush",
        });
    }

    public override void IpiAcked(in IpiEvent e)
    {
        int cpu = e.To.Value;
        long flow = _timeline.NewFlow();
        Queue(_acks, (e.From.Value, cpu)).Enqueue(flow);
        _timeline.Add(new RecordedEvent(e.Step, e.Tick.Value, cpu, 0, RecordedPhase.FlowStart, "ipi", "ack") { FlowId = flow });
        _timeline.End(cpu, "ipi:" + Dec(e.From.Value), e.Step, e.Tick, "ipi_exit", [new("ack_to_cpu", Dec(e.From.Value))]);
    }

    public override void IpiAckReceived(in IpiEvent e)
    {
        if (_acks.TryGetValue((e.From.Value, e.To.Value), out Queue<long>? flows) && flows.TryDequeue(out long flow))
        {
            _timeline.Add(new RecordedEvent(e.Step, e.Tick.Value, e.From.Value, 0, RecordedPhase.FlowEnd, "ipi", "ack")
            {
                FlowId = flow,
                Fields = [new("from_cpu", Dec(e.To.Value))],
            });
        }
    }

    /// <summary>The track of a CPU, or the memory subsystem's for an operation without one.</summary>
    private int TrackOf(CpuId? cpu)
    {
        if (cpu is CpuId c)
        {
            return c.Value;
        }

        _timeline.AddTrack(RunRecording.MemoryTrack, "mm");
        return RunRecording.MemoryTrack;
    }
}
