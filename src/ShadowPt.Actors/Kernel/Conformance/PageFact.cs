using System.Globalization;

namespace ShadowPt.Kernel.Conformance;

/// <summary>
/// One page of a labelled region as /proc/PID/pagemap shows it: present (bit 63), exclusively
/// mapped (bit 56: the page's mapcount is 1; never set for the shared zero page), and a canonical
/// frame id instead of the pfn.
/// </summary>
/// <remarks>
/// Frame ids number the frames of a run 1, 2, 3, ... in order of first appearance in the canonical
/// order of observations, so "the same frame as before" compares between the simulator and Linux.
/// A page that is not present has no frame.
/// </remarks>
public sealed record PageFact(long PageOffset, bool Present, bool Exclusive, int? Frame)
{
    public override string ToString()
    {
        if (!Present)
        {
            return "not-present";
        }

        string frame = Frame is int id ? id.ToString(CultureInfo.InvariantCulture) : "?";
        return Exclusive ? $"present exclusive frame={frame}" : $"present frame={frame}";
    }
}
