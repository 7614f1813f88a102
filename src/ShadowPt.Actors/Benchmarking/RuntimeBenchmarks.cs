using System.Diagnostics;
using System.Globalization;

namespace ShadowPt.Benchmarking;

/// <summary>
/// The runtime's throughput and allocation figures, shared by <c>shadowpt bench runtime</c> and the
/// BenchmarkDotNet project: deterministic deliveries per second (one pair ping-ponging, 64 pairs,
/// fan-out 1 to 64) with the random strategy, the bytes each of them allocates per delivery once warm,
/// and threaded messages per second on all cores (64 pairs with 16 messages in flight in each, and with
/// one). Figures are wall-clock measurements and so noisy; nothing here decides a test.
/// </summary>
public static class RuntimeBenchmarks
{
    /// <summary>Actors paired up in the 64-pair workload, and leaves in the fan-out workload.</summary>
    public const int Width = 64;

    /// <summary>Most untimed repetitions a warm-up makes, however short they are.</summary>
    public const int WarmupRepetitionsMax = 1_000;

    /// <summary>Runs every workload and returns one figure per line of <c>shadowpt bench runtime</c>.</summary>
    public static IReadOnlyList<BenchFigure> Run(RuntimeBenchOptions options, Action<string>? progress)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var figures = new List<BenchFigure>();
        progress?.Invoke($"{Environment.ProcessorCount} cores, .NET {Environment.Version}, {options.Repetitions} repetitions, best reported");
        Deterministic(figures, "det-ping-pong", seed => DeterministicWorkload.PingPong(1, seed, StepsMax(options)), options, progress);
        Deterministic(figures, "det-pairs-64", seed => DeterministicWorkload.PingPong(Width, seed, StepsMax(options)), options, progress);
        Deterministic(figures, "det-fan-out-64", seed => DeterministicWorkload.FanOut(Width, seed, StepsMax(options)), options, progress);
        Threaded(figures, "thr-pairs", options.ThreadedMessagesInFlightPerPair, options, progress);

        // The threaded scheduler's worst case: every message finds its receiver idle and costs a work item.
        Threaded(figures, "thr-pairs-1-in-flight", 1, options, progress);
        return figures;
    }

    /// <summary>
    /// Times <paramref name="deliveries"/> deliveries of a warmed-up workload and counts the bytes
    /// this thread allocated meanwhile.
    /// </summary>
    public static (double DeliveriesPerSecond, double BytesPerDelivery) MeasureDeterministic(DeterministicWorkload workload, long warmupDeliveries, long deliveries)
    {
        ArgumentNullException.ThrowIfNull(workload);
        if (warmupDeliveries > 0)
        {
            workload.RunSteps(warmupDeliveries);
        }

        long bytesBefore = GC.GetAllocatedBytesForCurrentThread();
        long start = Stopwatch.GetTimestamp();
        workload.RunSteps(deliveries);
        TimeSpan elapsed = Stopwatch.GetElapsedTime(start);
        long bytes = GC.GetAllocatedBytesForCurrentThread() - bytesBefore;
        return (deliveries / elapsed.TotalSeconds, (double)bytes / deliveries);
    }

    private static long StepsMax(RuntimeBenchOptions options) => options.WarmupDeliveries + options.DeterministicDeliveries;

    private static void Deterministic(List<BenchFigure> figures, string name, Func<ulong, DeterministicWorkload> create, RuntimeBenchOptions options, Action<string>? progress)
    {
        double rateBest = 0;
        double bytesBest = double.MaxValue;
        var rates = new List<double>();
        WarmUp(options, () =>
        {
            using DeterministicWorkload workload = create(options.Seed);
            MeasureDeterministic(workload, options.WarmupDeliveries, options.DeterministicDeliveries);
        });

        for (int rep = 0; rep < options.Repetitions; rep++)
        {
            using DeterministicWorkload workload = create(options.Seed);
            (double rate, double bytes) = MeasureDeterministic(workload, options.WarmupDeliveries, options.DeterministicDeliveries);
            rates.Add(rate);
            rateBest = Math.Max(rateBest, rate);
            bytesBest = Math.Min(bytesBest, bytes);
        }

        progress?.Invoke($"{name}: {Describe(rates)} deliveries/s over {options.DeterministicDeliveries} deliveries");
        figures.Add(new BenchFigure(name, rateBest, "deliveries/s"));
        figures.Add(new BenchFigure(name + "-alloc", bytesBest, "bytes/delivery"));
    }

    private static void Threaded(List<BenchFigure> figures, string name, int inFlightPerPair, RuntimeBenchOptions options, Action<string>? progress)
    {
        double rateBest = 0;
        var rates = new List<double>();
        long deliveries = 0;
        WarmUp(options, () =>
        {
            using var workload = new ThreadedWorkload(options.ThreadedPairs, inFlightPerPair, options.ThreadedDeliveries);
            workload.Run();
        });

        for (int rep = 0; rep < options.Repetitions; rep++)
        {
            using var workload = new ThreadedWorkload(options.ThreadedPairs, inFlightPerPair, options.ThreadedDeliveries);
            deliveries = workload.Deliveries;
            long start = Stopwatch.GetTimestamp();
            workload.Run();
            double rate = workload.Deliveries / Stopwatch.GetElapsedTime(start).TotalSeconds;
            rates.Add(rate);
            rateBest = Math.Max(rateBest, rate);
        }

        progress?.Invoke($"{name} ({options.ThreadedPairs} pairs x {inFlightPerPair} in flight): {Describe(rates)} msg/s over {deliveries} deliveries on {Environment.ProcessorCount} cores");
        figures.Add(new BenchFigure(name, rateBest, "msg/s"));
    }

    /// <summary>Runs <paramref name="repetition"/> at least once and until <see cref="RuntimeBenchOptions.WarmupTime"/> has passed (at most <see cref="WarmupRepetitionsMax"/> times).</summary>
    private static void WarmUp(RuntimeBenchOptions options, Action repetition)
    {
        long start = Stopwatch.GetTimestamp();
        int count = 0;
        do
        {
            repetition();
        }
        while (++count < WarmupRepetitionsMax && Stopwatch.GetElapsedTime(start) < options.WarmupTime);
    }

    /// <summary>"best (min..max)" in millions, for progress lines.</summary>
    private static string Describe(List<double> rates)
        => string.Create(CultureInfo.InvariantCulture, $"best {rates.Max() / 1e6:F2}M (all {string.Join(", ", rates.Select(r => (r / 1e6).ToString("F2", CultureInfo.InvariantCulture)))} M)");
}
