using System.Globalization;
using ShadowPt.Kernel;

namespace ShadowPt.Checking;

/// <summary>
/// No write is missed by soft-dirty tracking. After the last clear_refs of an mm returned (its
/// <see cref="ClearRefsRecord"/>), a write that lands in a page changes that page's contents, so at
/// every quiescent point: a page whose contents differ from what they were when the clear returned,
/// or a page that had none then and now holds something other than zeros, must show soft-dirty in
/// pagemap. Writes that raced with the clear (landed before it returned) may or may not be recorded:
/// their contents are in the record, so they oblige nothing. Contents, not step numbers, decide
/// "after": a write landing after the clear's last memory operation is exactly one that changes them.
/// </summary>
public sealed class SoftDirtyMonitor : SpecMonitor
{
    public SoftDirtyMonitor()
        : base("soft-dirty-no-missed-write")
    {
        MonitorState watching = Cold("watching");
        watching.On<QuiescentPoint>(q =>
        {
            string? missed = Check(q.State);
            Assert(missed is null, missed ?? string.Empty);
        });
        Start(watching);
    }

    /// <summary>The first missed write at this point, described, or null when every write since the last clear is soft-dirty.</summary>
    public static string? Check(KernelState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.FindExtension<ClearRefsLog>() is not ClearRefsLog log || !state.Config.MemSoftDirty)
        {
            return null;
        }

        ulong? zeroHash = null;
        foreach (MmStruct mm in state.Mms.Where(m => !m.IsDead))
        {
            if (log.LastFor(mm.Id) is not ClearRefsRecord record)
            {
                continue;
            }

            foreach (VmArea vma in mm.Vmas.All)
            {
                for (VirtAddr page = vma.VmStart; page < vma.VmEnd; page += PageGeometry.PageSize)
                {
                    if (ClearRefsLog.PageContentHash(state, mm.Pgd.GetPte(page)) is not ulong now)
                    {
                        continue;
                    }

                    zeroHash ??= ZeroPageHash();
                    bool written = record.PageHashes.TryGetValue(page.Value, out ulong then) ? then != now : now != zeroHash;
                    if (written && (Pagemap.Read(mm, state.Frames, page, 1)[0] & Pagemap.SoftDirty) == 0)
                    {
                        return string.Create(CultureInfo.InvariantCulture, $"{mm.Id} page {page} was written after clear_refs returned (step {record.Step}) but pagemap does not show it soft-dirty: {mm.Pgd.GetPte(page)}");
                    }
                }
            }
        }

        return null;
    }

    private static ulong ZeroPageHash()
    {
        ulong hash = 0xcbf29ce484222325;
        for (int i = 0; i < (int)PageGeometry.PageSize; i++)
        {
            hash *= 0x100000001b3;
        }

        return hash;
    }
}
