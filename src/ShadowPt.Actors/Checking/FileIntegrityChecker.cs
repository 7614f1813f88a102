using System.Globalization;
using ShadowPt.Kernel;
using ShadowPt.Runtime;

namespace ShadowPt.Checking;

/// <summary>
/// Check <c>file-integrity</c>: the page cache of a file nobody opened for writing holds what the
/// file holds on "disk". No mapping of such a file can write it (a shared writable mapping is refused,
/// a private one copies on write), so a changed byte means a write reached the page cache through a
/// path that should have broken COW: the Dirty COW class (CVE-2016-5195). Read-only over the kernel
/// state; checked at every quiescent point of a deterministic run and at the end of every run.
/// </summary>
public static class FileIntegrityChecker
{
    public const string CheckName = "file-integrity";

    public const string Kind = "page-cache-corrupted";

    /// <summary>The first corrupted page of a read-only file, as a report; null when every cached page matches its file.</summary>
    public static string? Check(KernelState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (!HasReadOnlyFile(state))
        {
            return null; // runs at every quiescent point: no 4 KiB buffer to clear when no read-only file exists
        }

        Span<byte> page = stackalloc byte[PageGeometry.PageSizeBytes];
        foreach ((MappedFile file, byte fill) in state.Files)
        {
            if (file.Writable || file.IsShmem)
            {
                continue;
            }

            foreach ((ulong pgoff, Pfn pfn) in state.PageCache.PagesOf(file.Ino))
            {
                state.Frames.ReadBytes(pfn, 0, page, new Provenance(0, "file-integrity check"));
                int offset = page.IndexOfAnyExcept(fill);
                if (offset >= 0)
                {
                    return string.Create(
                        CultureInfo.InvariantCulture,
                        $"the page cache of {file.Path}, opened read-only by everyone, changed: page {pgoff} (pfn {pfn}) holds 0x{page[offset]:x2} at offset {offset}, the file holds 0x{fill:x2}; a write reached the page cache through a read-only private mapping (Dirty COW, CVE-2016-5195)\n{state.Frames.History(pfn)}");
                }
            }
        }

        return null;
    }

    private static bool HasReadOnlyFile(KernelState state)
    {
        foreach ((MappedFile file, _) in state.Files)
        {
            if (!file.Writable && !file.IsShmem)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Reports the first corruption as a violation of the run.</summary>
    public static Violation? CheckNow(ActorSystem system, KernelState state)
    {
        ArgumentNullException.ThrowIfNull(system);
        return Check(state) is string report ? new Violation(Kind, report, system.Steps, system.Now) : null;
    }
}
