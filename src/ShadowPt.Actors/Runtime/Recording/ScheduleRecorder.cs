using System.Buffers;
using System.Runtime.CompilerServices;

namespace ShadowPt.Runtime.Recording;

/// <summary>
/// Appends choices as packed integers, four bytes per step, in fixed-size chunks: appending never
/// copies, and <see cref="Release"/> hands the chunks to <see cref="ChoiceChunkPool"/> so that the next
/// run of the process records without allocating (the list of chunks comes from the shared array
/// pool for the same reason). The chunks stay below the large-object threshold.
/// </summary>
internal sealed class ScheduleRecorder
{
    /// <summary>Choices per chunk: 64 KiB, under the 85,000-byte large-object threshold.</summary>
    public const int ChunkLength = 16_384;

    /// <summary>Full chunks and the one being filled, in order; the first <see cref="_chunkCount"/> slots are used.</summary>
    private int[][] _chunks = [];

    private int _chunkCount;

    /// <summary>The chunk being filled; empty until the first choice.</summary>
    private int[] _current = [];

    /// <summary>Choices written into <see cref="_current"/>.</summary>
    private int _currentCount;

    /// <summary>Set by <see cref="Release"/>; a released recorder holds nothing.</summary>
    private bool _released;

    public long Count { get; private set; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(ChoiceKind kind, int value)
    {
        int[] current = _current;
        int at = _currentCount;
        if ((uint)at < (uint)current.Length)
        {
            current[at] = (value << 2) | (int)kind;
            _currentCount = at + 1;
            Count++;
            return;
        }

        AddToNewChunk(kind, value);
    }

    /// <summary>A packed, read-only copy of the choices so far (<see cref="PackedChoices"/>): one to four bytes per choice.</summary>
    public PackedChoices ToArray()
    {
        ObjectDisposedException.ThrowIf(_released, this);
        return PackedChoices.FromChunks(_chunks.AsSpan(0, _chunkCount), checked((int)Count));
    }

    /// <summary>Gives the chunks back to the pool; the recorder cannot be read or written afterwards.</summary>
    public void Release()
    {
        if (_released)
        {
            return;
        }

        _released = true;
        foreach (int[] chunk in _chunks.AsSpan(0, _chunkCount))
        {
            ChoiceChunkPool.Return(chunk);
        }

        ReturnChunkList();
        _current = [];
        _currentCount = 0;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void AddToNewChunk(ChoiceKind kind, int value)
    {
        ObjectDisposedException.ThrowIf(_released, this);
        if (_chunkCount == _chunks.Length)
        {
            int[][] bigger = ArrayPool<int[]>.Shared.Rent(Math.Max(16, _chunks.Length * 2));
            _chunks.AsSpan(0, _chunkCount).CopyTo(bigger);
            if (_chunks.Length > 0)
            {
                ArrayPool<int[]>.Shared.Return(_chunks, clearArray: true);
            }

            _chunks = bigger;
        }

        _current = ChoiceChunkPool.Rent();
        _chunks[_chunkCount++] = _current;
        _currentCount = 0;
        Add(kind, value);
    }

    private void ReturnChunkList()
    {
        if (_chunks.Length > 0)
        {
            ArrayPool<int[]>.Shared.Return(_chunks, clearArray: true);
        }

        _chunks = [];
        _chunkCount = 0;
    }
}
