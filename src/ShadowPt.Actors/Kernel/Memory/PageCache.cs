namespace ShadowPt.Kernel;

/// <summary>
/// The page cache: file pages by (inode, page offset). The cache holds one reference on each page;
/// every mapping of it holds another. Shmem pages (shared anonymous memory) live here too and go
/// away when the last mapping of their inode does.
/// </summary>
/// <remarks>mm/filemap.c (filemap_fault, find_get_page) and mm/shmem.c (shmem_fault) in outline.</remarks>
public sealed class PageCache
{
    /// <summary>Most pages the cache may hold.</summary>
    public const int PagesMax = 1 << 22;

    /// <summary>Cached pages by (inode, page offset).</summary>
    private readonly SortedDictionary<(ulong Ino, ulong Pgoff), Pfn> _pages = new();

    public int Count => _pages.Count;

    /// <summary>
    /// filemap_fault / shmem_fault: the cached page, or a new one read from the file (a major fault)
    /// or zero-filled for shmem (minor). Returns null when memory is exhausted. The caller gets one
    /// reference for its mapping.
    /// </summary>
    public (Pfn? Pfn, bool Major) FindOrRead(FrameAllocator frames, MappedFile file, ulong pgoff, Provenance who, byte fill = 0)
    {
        ArgumentNullException.ThrowIfNull(frames);
        ArgumentNullException.ThrowIfNull(file);
        if (_pages.TryGetValue((file.Ino, pgoff), out Pfn cached))
        {
            frames.GetPage(cached, who);
            return (cached, false);
        }

        Bug.On(_pages.Count >= PagesMax, "page cache full");
        Pfn? pfn = frames.AllocPage(FrameKind.PageCache, who);
        if (pfn is not Pfn fresh)
        {
            return (null, false);
        }

        _pages.Add((file.Ino, pgoff), fresh);
        if (fill != 0)
        {
            Span<byte> contents = stackalloc byte[(int)PageGeometry.PageSize];
            contents.Fill(fill);
            frames.WriteBytes(fresh, 0, contents, who); // what the "disk" holds
        }

        frames.GetPage(fresh, who);
        return (fresh, !file.IsShmem);
    }

    /// <summary>filemap_get_entry: the cached page of (<paramref name="ino"/>, <paramref name="pgoff"/>) without taking a reference, or null.</summary>
    public Pfn? Lookup(ulong ino, ulong pgoff) => _pages.TryGetValue((ino, pgoff), out Pfn cached) ? cached : null;

    /// <summary>Drops the cache's references on every page of <paramref name="ino"/> (last iput of a shmem inode).</summary>
    public int Truncate(FrameAllocator frames, ulong ino, Provenance who)
    {
        ArgumentNullException.ThrowIfNull(frames);
        var victims = _pages.Where(p => p.Key.Ino == ino).ToArray();
        foreach (KeyValuePair<(ulong Ino, ulong Pgoff), Pfn> page in victims)
        {
            _pages.Remove(page.Key);
            frames.PutPage(page.Value, who);
        }

        return victims.Length;
    }

    /// <summary>echo 1 &gt; drop_caches: drops every page nobody maps.</summary>
    public int DropCaches(FrameAllocator frames, Provenance who)
    {
        ArgumentNullException.ThrowIfNull(frames);
        var unmapped = _pages.Where(p => frames.PageMapCount(p.Value) == 0 && frames.PageRefCount(p.Value) == 1).ToArray();
        foreach (KeyValuePair<(ulong Ino, ulong Pgoff), Pfn> page in unmapped)
        {
            _pages.Remove(page.Key);
            frames.PutPage(page.Value, who);
        }

        return unmapped.Length;
    }

    public IEnumerable<Pfn> Pages => _pages.Values;

    /// <summary>The cached pages of inode <paramref name="ino"/> with their page offsets, in offset order.</summary>
    public IEnumerable<(ulong Pgoff, Pfn Pfn)> PagesOf(ulong ino) =>
        _pages.Where(p => p.Key.Ino == ino).Select(p => (p.Key.Pgoff, p.Value));
}
