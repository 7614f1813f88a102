namespace ShadowPt.Runtime.Recording;

/// <summary>
/// The recorders' chunks, kept between runs up to <see cref="ChunksPooledMax"/> (32 MiB): a process
/// that runs schedule after schedule (an exploration campaign, a benchmark) records without allocating
/// once warm. Thread-safe: parallel runs share it.
/// </summary>
internal static class ChoiceChunkPool
{
    /// <summary>Most chunks kept; a run of 8 million choices, or several default-sized runs in parallel.</summary>
    public const int ChunksPooledMax = 512;

    private static readonly Stack<int[]> s_chunks = new();

    private static readonly Lock s_lock = new();

    public static int[] Rent()
    {
        lock (s_lock)
        {
            if (s_chunks.TryPop(out int[]? chunk))
            {
                return chunk;
            }
        }

        return GC.AllocateUninitializedArray<int>(ScheduleRecorder.ChunkLength);
    }

    public static void Return(int[] chunk)
    {
        if (chunk.Length != ScheduleRecorder.ChunkLength)
        {
            throw new ArgumentException($"a choice chunk has {ScheduleRecorder.ChunkLength} entries, not {chunk.Length}", nameof(chunk));
        }

        lock (s_lock)
        {
            if (s_chunks.Count < ChunksPooledMax)
            {
                s_chunks.Push(chunk);
            }
        }
    }
}
