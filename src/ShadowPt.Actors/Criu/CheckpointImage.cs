using System.Globalization;
using ShadowPt.Kernel;

namespace ShadowPt.Criu;

/// <summary>One VMA of a dumped process, as CRIU's mm image keeps it (<c>VmaEntry</c>): range, protection, kind.</summary>
public sealed record ImageVma(ulong Start, ulong End, bool Read, bool Write, bool Exec, bool Shared, bool GrowsDown, bool Anonymous)
{
    /// <summary>Pages the VMA spans.</summary>
    public ulong Pages => (End - Start) >> PageGeometry.PageShift;

    /// <summary>The VMA of the maps view.</summary>
    public static ImageVma From(VmArea vma)
    {
        ArgumentNullException.ThrowIfNull(vma);
        VmFlags f = vma.VmFlags;
        return new ImageVma(
            vma.VmStart.Value,
            vma.VmEnd.Value,
            (f & VmFlags.Read) != 0,
            (f & VmFlags.Write) != 0,
            (f & VmFlags.Exec) != 0,
            (f & VmFlags.Shared) != 0,
            (f & VmFlags.GrowsDown) != 0,
            vma.IsAnonymous || vma.VmFile is { IsShmem: true });
    }

    /// <summary>mmap's protection for this VMA.</summary>
    public Prot Prot => (Read ? Prot.Read : Prot.None) | (Write ? Prot.Write : Prot.None) | (Exec ? Prot.Exec : Prot.None);

    /// <summary>The flags the restorer maps it with (MAP_FIXED: the same address).</summary>
    public MapFlags MapFlags => MapFlags.Fixed | MapFlags.Anonymous | (Shared ? MapFlags.Shared : MapFlags.Private) | (GrowsDown ? MapFlags.GrowsDown : MapFlags.None);

    /// <summary>For example <c>0x10002000-0x10006000 rw-p</c>.</summary>
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"0x{Start:x}-0x{End:x} {(Read ? 'r' : '-')}{(Write ? 'w' : '-')}{(Exec ? 'x' : '-')}{(Shared ? 's' : 'p')}{(GrowsDown ? " growsdown" : string.Empty)}");
}

/// <summary>
/// One pagemap entry of an image: a present or swapped page at <see cref="Address"/>. Its contents are
/// in this image's pages file, or, when <see cref="InParent"/>, in the parent image (the page was not
/// written since the parent dump: not soft-dirty).
/// </summary>
public readonly record struct ImagePage(ulong Address, bool InParent);

/// <summary>
/// One dump of one process: the VMAs, every page that was present or swapped at dump time, and the
/// contents of those that are not in the parent. An incremental dump (<c>criu pre-dump --track-mem</c>,
/// then <c>dump --prev-images-dir</c>) names its parent; a full dump has none.
/// </summary>
/// <remarks>CRIU images inventory, mm-PID, pagemap-PID and pages-N (criu/pagemap.c, criu/mem.c).</remarks>
public sealed class CheckpointImage
{
    /// <summary>Creates an image; <paramref name="contents"/> holds one 4 KiB array per page not in the parent, in order.</summary>
    public CheckpointImage(string name, string? parent, int pid, string comm, bool final, IReadOnlyList<ImageVma> vmas, IReadOnlyList<ImagePage> pages, IReadOnlyList<byte[]> contents)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(comm);
        ArgumentNullException.ThrowIfNull(vmas);
        ArgumentNullException.ThrowIfNull(pages);
        ArgumentNullException.ThrowIfNull(contents);
        Bug.On(pages.Count(p => !p.InParent) != contents.Count, "checkpoint image: one contents array per page not in the parent");
        Bug.On(contents.Any(c => c.Length != PageGeometry.PageSizeBytes), "checkpoint image: contents must be whole pages");
        Bug.On(parent is null && pages.Any(p => p.InParent), "checkpoint image: a page in the parent of an image without a parent");
        Name = name;
        Parent = parent;
        Pid = pid;
        Comm = comm;
        Final = final;
        Vmas = vmas;
        Pages = pages;
        Contents = contents;
    }

    /// <summary>The image's name in its directory (<c>1</c>, <c>2</c>, ...).</summary>
    public string Name { get; }

    /// <summary>The parent image's name, or null for a full dump.</summary>
    public string? Parent { get; }

    public int Pid { get; }

    public string Comm { get; }

    /// <summary>A dump taken with the task frozen (the last one); pre-dumps are not final.</summary>
    public bool Final { get; }

    public IReadOnlyList<ImageVma> Vmas { get; }

    public IReadOnlyList<ImagePage> Pages { get; }

    /// <summary>Contents of the pages not in the parent, in the order of <see cref="Pages"/>.</summary>
    public IReadOnlyList<byte[]> Contents { get; }

    /// <summary>Pages whose contents this image holds (what a dump wrote or a migration sent).</summary>
    public int PagesWritten => Contents.Count;
}
