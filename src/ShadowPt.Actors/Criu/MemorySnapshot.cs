using System.Globalization;
using ShadowPt.Kernel;

namespace ShadowPt.Criu;

/// <summary>
/// What a process's memory holds at one instant: its VMAs (as an image keeps them) and the contents of
/// every page that is present or swapped and not all zeros. Two processes have equal memory when both
/// are equal; a page that is not there reads as zeros, as it would to the process.
/// </summary>
public sealed class MemorySnapshot
{
    private MemorySnapshot(IReadOnlyList<ImageVma> vmas, SortedDictionary<ulong, byte[]> pages)
    {
        Vmas = vmas;
        Pages = pages;
    }

    public IReadOnlyList<ImageVma> Vmas { get; }

    /// <summary>Non-zero pages by address.</summary>
    public IReadOnlyDictionary<ulong, byte[]> Pages { get; }

    /// <summary>Takes a snapshot of <paramref name="mm"/>; inside a memory operation or at a quiescent point.</summary>
    public static MemorySnapshot Take(KernelState s, MmStruct mm)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(mm);
        var vmas = new List<ImageVma>();
        var pages = new SortedDictionary<ulong, byte[]>();
        foreach (VmArea vma in mm.Vmas.All)
        {
            ImageVma v = ImageVma.From(vma);
            if (vmas.Count > 0 && vmas[^1].End == v.Start && vmas[^1] with { End = v.End } == v with { Start = vmas[^1].Start })
            {
                vmas[^1] = vmas[^1] with { End = v.End }; // the layout as seen: neighbours that differ only by anon_vma count as one
            }
            else
            {
                vmas.Add(v);
            }

            for (VirtAddr a = vma.VmStart; a < vma.VmEnd; a += PageGeometry.PageSize)
            {
                byte[]? contents = CriuKernel.PeekPage(s, mm, a);
                if (contents is not null && contents.AsSpan().ContainsAnyExcept((byte)0))
                {
                    pages.Add(a.Value, contents);
                }
            }
        }

        return new MemorySnapshot(vmas, pages);
    }

    /// <summary>The snapshot of task <paramref name="pid"/> on a quiescent machine; null when it has no mm.</summary>
    public static MemorySnapshot? Of(KernelState s, int pid)
    {
        ArgumentNullException.ThrowIfNull(s);
        return s.FindTask(pid) is { Mm: MmStruct mm } ? Take(s, mm) : null;
    }

    /// <summary>This snapshot with one-byte stores applied in order (what a workload that went on writing leaves).</summary>
    public MemorySnapshot WithWrites(IEnumerable<(ulong Address, byte Value)> writes)
    {
        ArgumentNullException.ThrowIfNull(writes);
        var pages = new SortedDictionary<ulong, byte[]>();
        foreach ((ulong address, byte[] contents) in Pages)
        {
            pages.Add(address, (byte[])contents.Clone());
        }

        foreach ((ulong address, byte value) in writes)
        {
            ulong page = address & ~(PageGeometry.PageSize - 1);
            if (!pages.TryGetValue(page, out byte[]? contents))
            {
                contents = new byte[PageGeometry.PageSize];
                pages.Add(page, contents);
            }

            contents[(int)(address - page)] = value;
        }

        foreach (ulong zero in pages.Where(p => !p.Value.AsSpan().ContainsAnyExcept((byte)0)).Select(p => p.Key).ToList())
        {
            pages.Remove(zero);
        }

        return new MemorySnapshot(Vmas, pages);
    }

    /// <summary>Null when equal, else the first difference in one line.</summary>
    public string? Difference(MemorySnapshot other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (!Vmas.SequenceEqual(other.Vmas))
        {
            return $"VMAs differ: [{string.Join(", ", Vmas)}] vs [{string.Join(", ", other.Vmas)}]";
        }

        foreach (ulong address in Pages.Keys.Union(other.Pages.Keys).Order())
        {
            byte[]? a = Pages.GetValueOrDefault(address);
            byte[]? b = other.Pages.GetValueOrDefault(address);
            if (a is null || b is null || !a.AsSpan().SequenceEqual(b))
            {
                return string.Create(CultureInfo.InvariantCulture, $"page 0x{address:x} differs (first byte 0x{a?[0] ?? 0:x2} vs 0x{b?[0] ?? 0:x2}; {(a is null ? "zero" : "data")} vs {(b is null ? "zero" : "data")})");
            }
        }

        return null;
    }

    /// <summary>A short fingerprint of the contents, for reports.</summary>
    public ulong Fingerprint()
    {
        ulong hash = 14695981039346656037UL;
        foreach ((ulong address, byte[] contents) in Pages)
        {
            hash = (hash ^ address) * 1099511628211UL;
            foreach (byte b in contents)
            {
                hash = (hash ^ b) * 1099511628211UL;
            }
        }

        return hash;
    }
}
