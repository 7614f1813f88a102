namespace ShadowPt.Benchmarking;

/// <summary>One timed phase of a model workload: accesses made, deliveries, wall time, and bytes this thread allocated.</summary>
/// <param name="Accesses">Simulated user accesses made.</param>
/// <param name="Deliveries">Deliveries the scheduler made meanwhile.</param>
/// <param name="Elapsed">Wall time.</param>
/// <param name="AllocatedBytes">Bytes allocated by this thread (meaningful on the deterministic scheduler only).</param>
/// <param name="ProcessorTime">CPU time of the whole process meanwhile (every thread: the GC's and the JIT's too).</param>
public readonly record struct PhaseMeasurement(long Accesses, long Deliveries, TimeSpan Elapsed, long AllocatedBytes, TimeSpan ProcessorTime)
{
    public double AccessesPerSecond => Accesses / Elapsed.TotalSeconds;

    /// <summary>
    /// Accesses per second of CPU time: on a shared machine, where other processes take turns on the
    /// cores, steadier than <see cref="AccessesPerSecond"/> (it leaves out the time spent waiting for a core).
    /// </summary>
    public double AccessesPerCpuSecond => Accesses / ProcessorTime.TotalSeconds;

    public double NanosecondsPerAccess => Elapsed.TotalNanoseconds / Accesses;

    public double DeliveriesPerAccess => (double)Deliveries / Accesses;

    public double BytesPerAccess => (double)AllocatedBytes / Accesses;

    /// <summary>Runs <paramref name="phase"/> on <paramref name="workload"/> and measures it.</summary>
    public static PhaseMeasurement Measure(ModelWorkload workload, Func<ModelWorkload, long> phase)
    {
        ArgumentNullException.ThrowIfNull(workload);
        ArgumentNullException.ThrowIfNull(phase);
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        long stepsBefore = workload.Steps;
        TimeSpan cpuBefore = process.TotalProcessorTime;
        long bytesBefore = GC.GetAllocatedBytesForCurrentThread();
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        long accesses = phase(workload);
        TimeSpan elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(start);
        long bytes = GC.GetAllocatedBytesForCurrentThread() - bytesBefore;
        process.Refresh();
        TimeSpan cpu = process.TotalProcessorTime - cpuBefore;
        if (accesses <= 0)
        {
            throw new InvalidOperationException("a measured phase made no access");
        }

        return new PhaseMeasurement(accesses, workload.Steps - stepsBefore, elapsed, bytes, cpu);
    }
}
