using System.Buffers.Binary;

namespace ShadowPt.Kernel;

/// <summary>
/// Page contents, stored sparsely: only frames that were written hold a 4 KiB array. The index is a
/// slot per frame (8 bytes each), not a dictionary: a dictionary cost 28 to 56 bytes per written
/// frame, depending on where its capacity stood, which alone broke the 64-byte budget per mapped page.
/// </summary>
public sealed partial class FrameAllocator
{
    /// <summary>Contents of written frames by pfn, in chunks like the records; a null slot or chunk reads as zeros.</summary>
    private byte[]?[]?[] _contents = [];

    /// <summary>Non-null slots of <see cref="_contents"/>.</summary>
    private int _writtenFrameCount;

    /// <summary>Frames that hold a contents array now (written since their last allocation).</summary>
    public int WrittenFrameCount => _writtenFrameCount;

    /// <summary>Reads the aligned 64-bit little-endian word at <paramref name="offset"/> of the frame.</summary>
    public ulong ReadU64(Pfn pfn, int offset, Provenance who)
    {
        CheckReadable(pfn, offset, sizeof(ulong), who);
        return Contents(pfn.Index) is byte[] page
            ? BinaryPrimitives.ReadUInt64LittleEndian(page.AsSpan(offset, sizeof(ulong)))
            : 0;
    }

    /// <summary>Writes the aligned 64-bit little-endian word at <paramref name="offset"/> of the frame.</summary>
    public void WriteU64(Pfn pfn, int offset, ulong value, Provenance who)
    {
        CheckWritable(pfn, offset, sizeof(ulong), who);
        BinaryPrimitives.WriteUInt64LittleEndian(PageBytes(pfn).AsSpan(offset, sizeof(ulong)), value);
    }

    /// <summary>Copies bytes of the frame starting at <paramref name="offset"/> into <paramref name="destination"/>.</summary>
    public void ReadBytes(Pfn pfn, int offset, Span<byte> destination, Provenance who)
    {
        CheckReadable(pfn, offset, destination.Length, who);
        if (Contents(pfn.Index) is byte[] page)
        {
            page.AsSpan(offset, destination.Length).CopyTo(destination);
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
        source.CopyTo(PageBytes(pfn).AsSpan(offset));
    }

    /// <summary>copy_user_highpage: the whole contents of <paramref name="source"/> into <paramref name="destination"/> (COW).</summary>
    public void CopyPage(Pfn destination, Pfn source, Provenance who)
    {
        CheckReadable(source, 0, PageGeometry.PageSizeBytes, who);
        CheckWritable(destination, 0, PageGeometry.PageSizeBytes, who);
        if (Contents(source.Index) is byte[] page)
        {
            page.CopyTo(PageBytes(destination), 0);
        }
        else
        {
            DropContents(destination);
        }
    }

    /// <summary>The contents array of <paramref name="pfn"/> (in range), or null when it reads as zeros.</summary>
    private byte[]? Contents(int pfn)
    {
        int c = pfn >> ChunkShift;
        return (uint)c < (uint)_contents.Length && _contents[c] is byte[]?[] chunk ? chunk[pfn & ChunkMask] : null;
    }

    private void DropContents(Pfn pfn)
    {
        int c = pfn.Index >> ChunkShift;
        if ((uint)c < (uint)_contents.Length && _contents[c] is byte[]?[] chunk && chunk[pfn.Index & ChunkMask] is not null)
        {
            chunk[pfn.Index & ChunkMask] = null;
            _writtenFrameCount--;
        }
    }

    private byte[] PageBytes(Pfn pfn)
    {
        int c = pfn.Index >> ChunkShift;
        if ((uint)c >= (uint)_contents.Length)
        {
            Array.Resize(ref _contents, ChunkTableLength(c));
        }

        byte[]?[] chunk = _contents[c] ??= new byte[]?[ChunkFrames];
        ref byte[]? slot = ref chunk[pfn.Index & ChunkMask];
        if (slot is null)
        {
            slot = new byte[PageGeometry.PageSizeBytes];
            _writtenFrameCount++;
        }

        return slot;
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
