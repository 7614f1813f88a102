using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace ShadowPt.Kernel;

/// <summary>
/// The 4 KiB of one written frame, in <see cref="Pieces"/> pieces of <see cref="PieceBytes"/> bytes, each made on the
/// first write into it; a piece never written reads as zeros. Processes write a few words per page (the
/// default scenario's pages hold one to a few dozen words), and exploration writes them again for every schedule:
/// a whole 4 KiB array per written frame was the largest share of a schedule's byte arrays.
/// </summary>
internal sealed class PageContents
{
    /// <summary>Bytes per piece.</summary>
    public const int PieceBytes = 256;

    /// <summary>Pieces per page.</summary>
    public const int Pieces = PageGeometry.PageSizeBytes / PieceBytes;

    private const int PieceShift = 8;

    private PieceArray _pieces;

    /// <summary>Bytes this page holds: the object and its pieces.</summary>
    public int MemoryBytes
    {
        get
        {
            int bytes = 16 + (Pieces * IntPtr.Size);
            foreach (byte[]? piece in _pieces)
            {
                bytes += piece is null ? 0 : 24 + PieceBytes;
            }

            return bytes;
        }
    }

    /// <summary>The little-endian word at <paramref name="offset"/>; an aligned word never straddles two pieces.</summary>
    public ulong ReadU64(int offset)
    {
        int within = offset & (PieceBytes - 1);
        if (within > PieceBytes - sizeof(ulong))
        {
            Span<byte> word = stackalloc byte[sizeof(ulong)];
            Read(offset, word);
            return BinaryPrimitives.ReadUInt64LittleEndian(word);
        }

        return _pieces[offset >> PieceShift] is byte[] piece ? BinaryPrimitives.ReadUInt64LittleEndian(piece.AsSpan(within, sizeof(ulong))) : 0;
    }

    /// <summary>Writes the aligned little-endian word at <paramref name="offset"/> (the allocator checks the alignment).</summary>
    public void WriteU64(int offset, ulong value) =>
        BinaryPrimitives.WriteUInt64LittleEndian(Piece(offset >> PieceShift).AsSpan(offset & (PieceBytes - 1), sizeof(ulong)), value);

    /// <summary>Copies the bytes from <paramref name="offset"/> into <paramref name="destination"/>, across pieces.</summary>
    public void Read(int offset, Span<byte> destination)
    {
        while (!destination.IsEmpty)
        {
            int within = offset & (PieceBytes - 1);
            int length = Math.Min(destination.Length, PieceBytes - within);
            if (_pieces[offset >> PieceShift] is byte[] piece)
            {
                piece.AsSpan(within, length).CopyTo(destination);
            }
            else
            {
                destination[..length].Clear();
            }

            destination = destination[length..];
            offset += length;
        }
    }

    /// <summary>Copies <paramref name="source"/> into the page from <paramref name="offset"/>, across pieces.</summary>
    public void Write(int offset, ReadOnlySpan<byte> source)
    {
        while (!source.IsEmpty)
        {
            int within = offset & (PieceBytes - 1);
            int length = Math.Min(source.Length, PieceBytes - within);
            source[..length].CopyTo(Piece(offset >> PieceShift).AsSpan(within));
            source = source[length..];
            offset += length;
        }
    }

    /// <summary>A copy of the page (copy_user_highpage): the same pieces, copied.</summary>
    public PageContents Clone()
    {
        var copy = new PageContents();
        for (int i = 0; i < Pieces; i++)
        {
            if (_pieces[i] is byte[] piece)
            {
                copy._pieces[i] = (byte[])piece.Clone();
            }
        }

        return copy;
    }

    private byte[] Piece(int index) => _pieces[index] ??= new byte[PieceBytes];

    /// <summary>The pieces, inline in the object.</summary>
    [InlineArray(Pieces)]
    private struct PieceArray
    {
        private byte[]? _piece;
    }
}
