namespace ShadowPt.Kernel.WriteTracking;

/// <summary>
/// What user-space write trackers recorded: the pages each tracker's SIGSEGV handler or userfaultfd
/// monitor saw written, by tracker key (the program's name: a program and the children it forks share
/// one log, as a tracker's process and its monitor share a pipe). This is user memory, not kernel state;
/// the machine keeps it so tools can read it after the run. Order of recording does not matter: pages are a set.
/// </summary>
public sealed class UserPageLog
{
    /// <summary>Most pages one tracker records.</summary>
    public const int PagesMax = 1 << 16;

    /// <summary>Pages by tracker key.</summary>
    private readonly Dictionary<string, SortedSet<VirtAddr>> _pages = new(StringComparer.Ordinal);

    /// <summary>Records that <paramref name="page"/> was written, under <paramref name="key"/>.</summary>
    public void Record(string key, VirtAddr page)
    {
        ArgumentNullException.ThrowIfNull(key);
        Bug.On(!page.IsPageAligned, $"write tracking: {page} is not a page address");
        if (!_pages.TryGetValue(key, out SortedSet<VirtAddr>? set))
        {
            set = new SortedSet<VirtAddr>();
            _pages[key] = set;
        }

        Bug.On(set.Count >= PagesMax, $"write tracking: more than {PagesMax} pages under '{key}'");
        set.Add(page);
    }

    /// <summary>The pages recorded under <paramref name="key"/>, ascending; empty when none.</summary>
    public IReadOnlyList<VirtAddr> Pages(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return _pages.TryGetValue(key, out SortedSet<VirtAddr>? set) ? [.. set] : [];
    }
}
