using System.Globalization;
using ShadowPt.Kernel;

namespace ShadowPt.Checking;

/// <summary>
/// "A TLB shootdown that started is eventually completed": hot while some flush IPI has been sent and
/// its acknowledgement has not reached the initiator (a CPU that never takes the IPI leaves it hot;
/// with <see cref="SpecMonitor.HotStepsMax"/> a shootdown that takes too long is reported too). Safety:
/// an initiator never receives an acknowledgement for an IPI it did not send.
/// </summary>
public sealed class TlbShootdownMonitor : SpecMonitor
{
    public const string MonitorName = "tlb-shootdown-completes";

    /// <summary>IPIs sent and not yet acknowledged back, per (initiator, target).</summary>
    private readonly Dictionary<(CpuId From, CpuId To), int> _pending = new();

    /// <summary>The oldest unacknowledged IPI, for the report.</summary>
    private TlbShootdownIpi? _oldest;

    public TlbShootdownMonitor()
        : base(MonitorName)
    {
        MonitorState idle = Cold("Idle");
        MonitorState flushing = Hot("Flushing");
        idle.On<TlbShootdownIpi>(e =>
        {
            AssertNotUnsolicited(e);
            if (e.Phase == IpiPhase.Sent)
            {
                _pending[(e.From, e.To)] = 1;
                _oldest = e;
                Goto(flushing);
            }
        });
        flushing.On<TlbShootdownIpi>(e =>
        {
            AssertNotUnsolicited(e);
            if (e.Phase is IpiPhase.Sent or IpiPhase.AckReceived)
            {
                int count = _pending.GetValueOrDefault((e.From, e.To)) + (e.Phase == IpiPhase.Sent ? 1 : -1);
                _pending[(e.From, e.To)] = count;
                _oldest = e.Phase == IpiPhase.Sent ? _oldest ?? e : _oldest;
            }

            if (_pending.Values.All(c => c == 0))
            {
                _pending.Clear();
                _oldest = null;
                Goto(idle);
            }
        });
        Start(idle);
    }

    public override string DescribeObligation() => _oldest is { } ipi
        ? string.Create(CultureInfo.InvariantCulture, $"{_pending.Values.Sum()} flush IPI(s) unacknowledged; the oldest from {ipi.From} to {ipi.To} at step {ipi.Step}")
        : string.Empty;

    private void AssertNotUnsolicited(TlbShootdownIpi e) => Assert(
        e.Phase != IpiPhase.AckReceived || _pending.GetValueOrDefault((e.From, e.To)) > 0,
        $"{e.From} received an acknowledgement from {e.To} for no IPI it sent");
}
