using System.Globalization;
using System.Text;

namespace ShadowPt.Kernel;

/// <summary>/proc/PID/maps of an mm: one line per VMA, formatted exactly as Linux prints them.</summary>
/// <remarks>
/// fs/proc/task_mmu.c show_map_vma and show_vma_header_prefix: <c>start-end perms offset major:minor inode</c>
/// with hex at least 8 digits, then, when the VMA has a name, spaces up to column 73 and the name:
/// the file path, <c>[heap]</c> (vma_is_initial_heap) or <c>[stack]</c> (vma_is_initial_stack).
/// Unnamed lines end with the space after the inode, as in Linux. No [vdso] or [vvar]: the model has none.
/// </remarks>
public static class ProcMaps
{
    /// <summary>seq_setwidth(m, 25 + sizeof(void *) * 6 - 1): the name starts one column after this.</summary>
    public const int NamePadWidth = 25 + (8 * 6) - 1;

    /// <summary>All lines, each ending with a newline, as reading the file returns them.</summary>
    public static string Format(MmStruct mm)
    {
        ArgumentNullException.ThrowIfNull(mm);
        var text = new StringBuilder();
        foreach (VmArea vma in mm.Vmas.All)
        {
            text.Append(ShowMapVma(mm, vma)).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>The line for one VMA, without the newline.</summary>
    public static string ShowMapVma(MmStruct mm, VmArea vma)
    {
        ArgumentNullException.ThrowIfNull(mm);
        ArgumentNullException.ThrowIfNull(vma);
        MappedFile? file = vma.VmFile;
        ulong pgoff = file is null ? 0 : vma.VmPgoff << PageGeometry.PageShift;
        VmFlags flags = vma.VmFlags;
        var line = new StringBuilder(NamePadWidth + 32);
        line.Append(vma.VmStart.ToMapsHex()).Append('-').Append(vma.VmEnd.ToMapsHex()).Append(' ');
        line.Append((flags & VmFlags.Read) != 0 ? 'r' : '-');
        line.Append((flags & VmFlags.Write) != 0 ? 'w' : '-');
        line.Append((flags & VmFlags.Exec) != 0 ? 'x' : '-');
        line.Append((flags & VmFlags.MayShare) != 0 ? 's' : 'p');
        line.Append(CultureInfo.InvariantCulture, $" {pgoff:x8} {file?.DevMajor ?? 0:x2}:{file?.DevMinor ?? 0:x2} {file?.Ino ?? 0} ");
        string? name = file?.Path ?? AnonName(mm, vma);
        if (name is not null)
        {
            line.Append(' ', Math.Max(0, NamePadWidth - line.Length)).Append(' ').Append(name);
        }

        return line.ToString();
    }

    /// <summary>[heap] or [stack] for the mm's initial heap and stack, else no name.</summary>
    private static string? AnonName(MmStruct mm, VmArea vma)
    {
        if (vma.VmStart < mm.Brk && vma.VmEnd > mm.StartBrk)
        {
            return "[heap]";
        }

        return vma.VmStart <= mm.StartStack && vma.VmEnd >= mm.StartStack ? "[stack]" : null;
    }
}
