namespace ShadowPt.Kernel;

/// <summary>
/// Storage sized to what a run touches. A machine has up to <see cref="FramesMax"/> frames, but a run
/// usually allocates a few dozen of them, and exploration builds a fresh machine for every schedule: a
/// record, a free-list slot and a contents slot for every frame of the machine were the largest arrays
/// of a schedule. So frames that were never handed out ("virgin" frames) cost nothing:
/// <list type="bullet">
/// <item>the free list is the virgin range [<see cref="_virginNext"/>, <see cref="FrameCount"/>) followed by
/// a ring of freed pfns. The FIFO order is the same as a ring that started with every usable pfn in
/// order: frees go to the tail, behind every virgin frame, and allocation takes the lowest virgin pfn
/// until none is left, then the oldest freed one;</item>
/// <item>records and contents slots live in chunks of <see cref="ChunkFrames"/> frames, made when a frame of
/// the chunk is first handed out (contents: first written); a frame without a chunk reads as a virgin
/// record (free, never allocated or freed) and as zeros. Chunks never move, so growing costs no copy and
/// a fully used machine costs what one array per frame cost, plus a reference per chunk.</item>
/// </list>
/// Only <see cref="AllocPageWhere"/> reorders the free list; it first moves the virgin range into the
/// ring (<see cref="MaterializeFreeList"/>), after which the ring alone is the free list, as before.
/// </summary>
public sealed partial class FrameAllocator
{
    /// <summary>log2 of <see cref="ChunkFrames"/>.</summary>
    private const int ChunkShift = 6;

    /// <summary>Frames per chunk of records or contents slots: 2.5 KiB of records, 512 bytes of slots.</summary>
    private const int ChunkFrames = 1 << ChunkShift;

    private const int ChunkMask = ChunkFrames - 1;

    /// <summary>The record of a frame that was never handed out.</summary>
    private static readonly FrameRecord VirginRecord = new() { Kind = FrameKind.Free, FreeStep = -1, AllocWho = -1, FreeWho = -1 };

    /// <summary>Frames of the machine.</summary>
    private readonly int _frameCount;

    /// <summary>struct page by pfn, in chunks: chunk c holds pfns [c·64, c·64 + 64); null chunks (and chunks past the table) are virgin.</summary>
    private FrameRecord[]?[] _frames = [];

    /// <summary>The lowest pfn never handed out; [_virginNext, FrameCount) is the head of the free list.</summary>
    private int _virginNext;

    /// <summary>Ring buffer of freed pfns, the tail of the free list: allocation takes its head, free appends at its tail.</summary>
    private int[] _freeRing = [];

    /// <summary>Index of the oldest freed pfn in <see cref="_freeRing"/>.</summary>
    private int _freeHead;

    /// <summary>Number of pfns in <see cref="_freeRing"/>.</summary>
    private int _ringCount;

    /// <summary>Frames on the free list: the virgin range and the ring.</summary>
    private int _freeCount;

    /// <summary>
    /// Every pfn at or above this was never handed out: it is free, with no history. A scan over the frames that
    /// looks for allocated ones (a leak check at the end of a run) may stop here instead of at <see cref="FrameCount"/>.
    /// </summary>
    public int NeverAllocatedFrom => _virginNext;

    /// <summary>Bytes the allocator's per-frame storage takes now: record chunks, contents-slot chunks, their tables and the ring.</summary>
    public long MetadataBytes
    {
        get
        {
            const int ArrayHeader = 24;
            long bytes = ((long)_frames.Length + _contents.Length) * IntPtr.Size + (2 * ArrayHeader) + ((long)_freeRing.Length * sizeof(int)) + ArrayHeader;
            foreach (FrameRecord[]? chunk in _frames)
            {
                bytes += chunk is null ? 0 : ArrayHeader + ((long)ChunkFrames * FrameRecordBytes);
            }

            foreach (PageContents?[]? chunk in _contents)
            {
                bytes += chunk is null ? 0 : ArrayHeader + ((long)ChunkFrames * IntPtr.Size);
            }

            return bytes;
        }
    }

    /// <summary>Size of one <see cref="FrameRecord"/> in an array.</summary>
    private static int FrameRecordBytes => System.Runtime.CompilerServices.Unsafe.SizeOf<FrameRecord>();

    /// <summary>The record of <paramref name="pfn"/> (in range), by value.</summary>
    private FrameRecord Record(int pfn) => ChunkOf(pfn) is FrameRecord[] chunk ? chunk[pfn & ChunkMask] : VirginRecord;

    /// <summary>The kind of <paramref name="pfn"/> (in range), without copying its record.</summary>
    private FrameKind KindOf(int pfn) => ChunkOf(pfn) is FrameRecord[] chunk ? chunk[pfn & ChunkMask].Kind : FrameKind.Free;

    /// <summary>The chunk of records holding <paramref name="pfn"/>, or null while every frame of it is virgin.</summary>
    private FrameRecord[]? ChunkOf(int pfn)
    {
        int c = pfn >> ChunkShift;
        return (uint)c < (uint)_frames.Length ? _frames[c] : null;
    }

    /// <summary>The record of <paramref name="pfn"/> to update, making its chunk (of virgin records) first.</summary>
    private ref FrameRecord RecordRef(int pfn)
    {
        int c = pfn >> ChunkShift;
        if ((uint)c >= (uint)_frames.Length)
        {
            Array.Resize(ref _frames, ChunkTableLength(c));
        }

        ref FrameRecord[]? chunk = ref _frames[c];
        if (chunk is null)
        {
            chunk = new FrameRecord[ChunkFrames];
            chunk.AsSpan().Fill(VirginRecord);
        }

        return ref chunk[pfn & ChunkMask];
    }

    /// <summary>A chunk table length covering chunk <paramref name="c"/>: doubling, at most the machine's chunks.</summary>
    private int ChunkTableLength(int c)
    {
        int chunks = (int)(((long)_frameCount + ChunkMask) >> ChunkShift);
        int length = Math.Max(4, (c + 1) * 2);
        return Math.Min(length, chunks);
    }

    /// <summary>Takes the head of the free list; the caller checked that it is not empty.</summary>
    private int TakeFree()
    {
        _freeCount--;
        if (_virginNext < _frameCount)
        {
            return _virginNext++;
        }

        int pfn = _freeRing[_freeHead];
        _freeHead = (_freeHead + 1) % _freeRing.Length;
        _ringCount--;
        return pfn;
    }

    /// <summary>Appends <paramref name="pfn"/> at the tail of the free list.</summary>
    private void PutFree(int pfn)
    {
        if (_ringCount == _freeRing.Length)
        {
            GrowRing(Math.Min(Math.Max(ChunkFrames, _freeRing.Length * 2), _frameCount));
        }

        _freeRing[(_freeHead + _ringCount) % _freeRing.Length] = pfn;
        _ringCount++;
        _freeCount++;
    }

    /// <summary>The <paramref name="i"/>-th pfn of the free list, oldest first.</summary>
    private int FreeAt(int i)
    {
        int virgin = _frameCount - _virginNext;
        return i < virgin ? _virginNext + i : _freeRing[(_freeHead + i - virgin) % _freeRing.Length];
    }

    /// <summary>Moves the virgin range into the ring, in front of the freed pfns: the ring alone is then the whole free list.</summary>
    private void MaterializeFreeList()
    {
        int virgin = _frameCount - _virginNext;
        if (virgin == 0)
        {
            return;
        }

        var ring = new int[_frameCount];
        for (int i = 0; i < virgin; i++)
        {
            ring[i] = _virginNext + i;
        }

        for (int i = 0; i < _ringCount; i++)
        {
            ring[virgin + i] = _freeRing[(_freeHead + i) % _freeRing.Length];
        }

        _freeRing = ring;
        _freeHead = 0;
        _ringCount += virgin;
        _virginNext = _frameCount;
    }

    private void GrowRing(int capacity)
    {
        var ring = new int[capacity];
        for (int i = 0; i < _ringCount; i++)
        {
            ring[i] = _freeRing[(_freeHead + i) % _freeRing.Length];
        }

        _freeRing = ring;
        _freeHead = 0;
    }
}
