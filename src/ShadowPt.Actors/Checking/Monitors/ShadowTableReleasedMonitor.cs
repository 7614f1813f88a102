using System.Globalization;
using ShadowPt.Kernel;
using ShadowPt.Spt;

namespace ShadowPt.Checking;

/// <summary>
/// "Every shadow table that shadowpt_open opened is eventually released": by the opener's
/// shadowpt_close, or by its exit (the spec's cleanup). The monitor turns hot when the opener enters
/// close or exit, or is found dead at a quiescent point (a kill), and cold again once close returned 0
/// or a quiescent point finds the table released. A run that ends hot is a liveness violation.
/// </summary>
public sealed class ShadowTableReleasedMonitor : SpecMonitor
{
    public const string MonitorName = "shadow-table-released";

    /// <summary>The task that opened the table.</summary>
    private int _opener;

    /// <summary>The step of the successful open.</summary>
    private long _openedAt;

    public ShadowTableReleasedMonitor()
        : base(MonitorName)
    {
        MonitorState closed = Cold("Closed");
        MonitorState open = Cold("Open");
        MonitorState releasing = Hot("Releasing");

        // One table at a time: a successful open means any earlier table was released, so it starts the watch again.
        closed.On<SyscallReturned>(e => Opened(e, open));
        open.On<SyscallReturned>(e => Opened(e, open));
        open.On<SyscallEntered>(e =>
        {
            if (e.Pid == _opener && e.Call is ShadowptCloseCall or ExitCall)
            {
                Goto(releasing);
            }
        });
        open.On<QuiescentPoint>(e =>
        {
            if (e.State.FindTask(_opener) is null or { Exited: true })
            {
                Goto(TableOpen(e.State) ? releasing : closed); // killed: its exit ran the cleanup, or should have
            }
        });
        releasing.On<SyscallReturned>(e =>
        {
            if (!Opened(e, open) && e.Pid == _opener && e.Call is ShadowptCloseCall)
            {
                Goto(e.Ret == 0 ? closed : open);
            }
        });
        releasing.On<QuiescentPoint>(e =>
        {
            if (!TableOpen(e.State))
            {
                Goto(closed);
            }
        });
        Start(closed);
    }

    public override string DescribeObligation() => string.Create(
        CultureInfo.InvariantCulture,
        $"the shadow table pid {_opener} opened at step {_openedAt} was never released (close, or the opener's exit, must free it)");

    private static bool TableOpen(KernelState state) => state.Extension<SptState>().IsOpen;

    /// <summary>A successful shadowpt_open: watch its table (true), else nothing (false).</summary>
    private bool Opened(SyscallReturned e, MonitorState open)
    {
        if (e.Call is not ShadowptOpenCall || e.Ret != 0)
        {
            return false;
        }

        (_opener, _openedAt) = (e.Pid, e.Step);
        Goto(open);
        return true;
    }
}
