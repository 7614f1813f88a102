using System.Globalization;
using ShadowPt.Kernel;

namespace ShadowPt.Checking;

/// <summary>
/// userfaultfd's two promises. Liveness: "a task blocked in handle_userfault (or waiting for an event to
/// be read) is eventually woken" — hot while a quiescent point finds a blocked task, so a run that ends
/// with one (a lost wake-up, a monitor that never answers) is a liveness violation. Safety: "after a
/// successful UFFDIO_COPY the page holds the copied buffer" — a read of a copied page that nobody wrote,
/// unmapped or dropped since must return the source byte.
/// </summary>
public sealed class UserfaultResolvedMonitor : SpecMonitor
{
    public const string MonitorName = "userfaultfd-faults-resolved";

    /// <summary>Most copied pages remembered.</summary>
    private const int CopiesMax = 4096;

    /// <summary>Copied pages not written since: page → the copy's fill byte, or the page's contents when the copy carried them.</summary>
    private readonly Dictionary<ulong, (byte Fill, byte[]? Contents)> _copied = new();

    /// <summary>The blocked tasks at the last quiescent point, for the report.</summary>
    private string _blocked = string.Empty;

    public UserfaultResolvedMonitor()
        : base(MonitorName)
    {
        MonitorState running = Cold("Running");
        MonitorState blocked = Hot("Blocked");
        foreach (MonitorState state in new[] { running, blocked })
        {
            state.On<QuiescentPoint>(e =>
            {
                IReadOnlyDictionary<int, int>? waiting = e.State.FindExtension<UffdState>()?.Blocked;
                _blocked = waiting is { Count: > 0 }
                    ? string.Join(", ", waiting.OrderBy(w => w.Key).Select(w => string.Create(CultureInfo.InvariantCulture, $"pid {w.Key} on uffd ctx {w.Value}")))
                    : string.Empty;
                Goto(_blocked.Length > 0 ? blocked : running);
            });
            state.On<SyscallReturned>(OnSyscall);
            state.On<UserAccessed>(OnAccess);
        }

        Start(running);
    }

    public override string DescribeObligation() => _blocked.Length > 0 ? "blocked in handle_userfault and never woken: " + _blocked : string.Empty;

    private void OnSyscall(SyscallReturned e)
    {
        switch (e.Call)
        {
            case UffdioCopyCall copy when e.Ret == 0 && _copied.Count < CopiesMax:
                for (ulong page = copy.Dst.Value; page < copy.Dst.Value + copy.Length; page += PageGeometry.PageSize)
                {
                    int at = (int)(page - copy.Dst.Value);
                    _copied[page] = (copy.Fill, copy.Contents?[at..(at + (int)PageGeometry.PageSize)]);
                }

                break;
            case MunmapCall or MadviseDontneedCall or ExecveCall or ForkCall:
                _copied.Clear(); // the pages may be gone or shared: forget them
                break;
        }
    }

    private void OnAccess(UserAccessed e)
    {
        ulong page = e.Address.PageAlignDown().Value;
        if (e.Segv || e.Killed || !_copied.TryGetValue(page, out (byte Fill, byte[]? Contents) copied))
        {
            return;
        }

        if (e.Write)
        {
            _copied.Remove(page);
            return;
        }

        int offset = (int)e.Address.OffsetInPage;
        byte expected = copied.Contents is byte[] contents ? contents[offset] : UffdioCopyCall.SourceByte(copied.Fill, offset);
        Assert((byte)e.Value == expected, string.Create(
            CultureInfo.InvariantCulture,
            $"pid {e.Pid} read 0x{(byte)e.Value:x2} at {e.Address} after UFFDIO_COPY of a buffer holding 0x{expected:x2} there"));
    }
}
