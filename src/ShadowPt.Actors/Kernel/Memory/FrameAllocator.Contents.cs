namespace ShadowPt.Kernel;

/// <summary>
/// Page contents, stored sparsely: only frames that were written hold a <see cref="PageContents"/> (whose
/// 256-byte pieces are made on first write). The index is a slot per frame (8 bytes each), not a dictionary:
/// a dictionary cost 28 to 56 bytes per written frame, depending on where its capacity stood, which alone
/// broke the 64-byte budget per mapped page.
/// </summary>
public sealed partial class FrameAllocator
{
    /// <summary>Contents of written frames by pfn, in chunks like the records; a null slot or chunk reads as zeros.</summary>
    private PageContents?[]?[] _contents = [];

    /// <summary>Non-null slots of <see cref="_contents"/>.</summary>
    private int _writtenFrameCount;

    /// <summary>Frames that hold contents now (written since their last allocation).</summary>
    public int WrittenFrameCount => _writtenFrameCount;

    /// <summary>Bytes the contents of written frames take now (their <see cref="PageContents"/> and pieces), slots excluded.</summary>
    public long ContentsBytes
    {
        get
        {
            long bytes = 0;
            foreach (PageContents?[]? chunk in _contents)
            {
                foreach (PageContents? page in chunk ?? [])
                {
                    bytes += page?.MemoryBytes ?? 0;
                }
            }

            return bytes;
        }
    }

    /// <summary>Reads the aligned 64-bit little-endian word at <paramref name="offset"/> of the frame.</summary>
    public ulong ReadU64(Pfn pfn, int offset, Provenance who)
    {
        CheckReadable(pfn, offset, sizeof(ulong), who);
        return Contents(pfn.Index) is PageContents page ? page.ReadU64(offset) : 0;
    }

    /// <summary>Writes the aligned 64-bit little-endian word at <paramref name="offset"/> of the frame.</summary>
    public void WriteU64(Pfn pfn, int offset, ulong value, Provenance who)
    {
        CheckWritable(pfn, offset, sizeof(ulong), who);
        PageBytes(pfn).WriteU64(offset, value);
    }

    /// <summary>Copies bytes of the frame starting at <paramref name="offset"/> into <paramref name="destination"/>.</summary>
    public void ReadBytes(Pfn pfn, int offset, Span<byte> destination, Provenance who)
    {
        CheckReadable(pfn, offset, destination.Length, who);
        if (Contents(pfn.Index) is PageContents page)
        {
            page.Read(offset, destination);
        }
        else
        {
            destination.Clear();
        }
    }

    /// <summary>Copies <paramref name="source"/> into the frame at <paramref name="offset"/>.</summary>
    public void WriteBytes(Pfn pfn, int offset, ReadOnlySpan<byte> source, Provenance who)
    {
        CheckWritable(pfn, offset, source.Length, who);
        PageBytes(pfn).Write(offset, source);
    }

    /// <summary>copy_user_highpage: the whole contents of <paramref name="source"/> into <paramref name="destination"/> (COW).</summary>
    public void CopyPage(Pfn destination, Pfn source, Provenance who)
    {
        CheckReadable(source, 0, PageGeometry.PageSizeBytes, who);
        CheckWritable(destination, 0, PageGeometry.PageSizeBytes, who);
        if (Contents(source.Index) is PageContents page)
        {
            SetContents(destination, page.Clone());
        }
        else
        {
            DropContents(destination);
        }
    }

    /// <summary>The contents array of <paramref name="pfn"/> (in range), or null when it reads as zeros.</summary>
    private PageContents? Contents(int pfn)
    {
        int c = pfn >> ChunkShift;
        return (uint)c < (uint)_contents.Length && _contents[c] is PageContents?[] chunk ? chunk[pfn & ChunkMask] : null;
    }

    private void DropContents(Pfn pfn)
    {
        int c = pfn.Index >> ChunkShift;
        if ((uint)c < (uint)_contents.Length && _contents[c] is PageContents?[] chunk && chunk[pfn.Index & ChunkMask] is not null)
        {
            chunk[pfn.Index & ChunkMask] = null;
            _writtenFrameCount--;
        }
    }

    private PageContents PageBytes(Pfn pfn) => Contents(pfn.Index) ?? SetContents(pfn, new PageContents());

    /// <summary>Gives <paramref name="pfn"/> the contents <paramref name="page"/>, replacing any it held.</summary>
    private PageContents SetContents(Pfn pfn, PageContents page)
    {
        int c = pfn.Index >> ChunkShift;
        if ((uint)c >= (uint)_contents.Length)
        {
            Array.Resize(ref _contents, ChunkTableLength(c));
        }

        PageContents?[] chunk = _contents[c] ??= new PageContents?[ChunkFrames];
        ref PageContents? slot = ref chunk[pfn.Index & ChunkMask];
        if (slot is null)
        {
            _writtenFrameCount++;
        }

        slot = page;
        return page;
    }

    private void CheckReadable(Pfn pfn, int offset, int length, Provenance who)
    {
        CheckSpan(offset, length);
        if (InRange(pfn) && KindOf(pfn.Index) == FrameKind.ZeroPage)
        {
            return;
        }

        _ = ref Allocated(pfn, who, "read");
    }

    private void CheckWritable(Pfn pfn, int offset, int length, Provenance who)
    {
        CheckSpan(offset, length);
        Bug.On(InRange(pfn) && KindOf(pfn.Index) == FrameKind.ZeroPage, "write to the zero page");
        _ = ref Allocated(pfn, who, "write");
    }

    private static void CheckSpan(int offset, int length)
    {
        Bug.On(offset < 0 || length < 0 || offset > PageGeometry.PageSizeBytes - length, "page access outside the frame");
        Bug.On(length == sizeof(ulong) && (offset & (sizeof(ulong) - 1)) != 0, "unaligned word access");
    }
}
