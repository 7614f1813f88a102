using BenchmarkDotNet.Running;
using ShadowPt.Benchmarks;
using ShadowPt.Benchmarking;

// "figures [--quick] [--in-flight N]" prints the same lines as `shadowpt bench runtime`; anything else goes to BenchmarkDotNet.
if (args.Length > 0 && args[0] == "figures")
{
    RuntimeBenchOptions options = args.Contains("--quick") ? RuntimeBenchOptions.Quick : RuntimeBenchOptions.Full;
    int inFlightAt = Array.IndexOf(args, "--in-flight");
    if (inFlightAt > 0 && inFlightAt + 1 < args.Length)
    {
        options = options with { ThreadedMessagesInFlightPerPair = int.Parse(args[inFlightAt + 1], System.Globalization.CultureInfo.InvariantCulture) };
    }

    foreach (BenchFigure figure in RuntimeBenchmarks.Run(options, line => Console.Error.WriteLine(line)))
    {
        Console.WriteLine(figure);
    }

    return 0;
}

// "model-figures [--quick]" prints the same lines as `shadowpt bench model`.
if (args.Length > 0 && args[0] == "model-figures")
{
    ModelBenchOptions options = args.Contains("--quick") ? ModelBenchOptions.Quick : ModelBenchOptions.Full;
    foreach (BenchFigure figure in ModelBenchmarks.Run(options, line => Console.Error.WriteLine(line)))
    {
        Console.WriteLine(figure);
    }

    return 0;
}

// "model-loop RUNS" runs the single-process model workload (faults, hits, walks) RUNS times, for a profiler.
if (args.Length == 2 && args[0] == "model-loop")
{
    int runs = int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture);
    for (int i = 0; i < runs; i++)
    {
        (PhaseMeasurement fault, PhaseMeasurement hit, PhaseMeasurement walk) = ModelBenchmarks.SingleProcessRun(ModelBenchOptions.Full, 1);
        Console.WriteLine(
            $"fault {fault.AccessesPerSecond / 1e3:F1}k/s {fault.BytesPerAccess:F0} B; hit {hit.AccessesPerSecond / 1e3:F1}k/s {hit.BytesPerAccess:F0} B; walk {walk.AccessesPerSecond / 1e3:F1}k/s {walk.BytesPerAccess:F0} B");
    }

    return 0;
}

// "loop WORKLOAD RUNS" runs one deterministic workload RUNS times, 4M deliveries each, for a profiler.
if (args.Length == 3 && args[0] == "loop")
{
    int runs = int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture);
    for (int i = 0; i < runs; i++)
    {
        const long deliveries = 4_000_000;
        using DeterministicWorkload workload = args[1] switch
        {
            "ping-pong" => DeterministicWorkload.PingPong(1, 1, deliveries),
            "pairs-64" => DeterministicWorkload.PingPong(RuntimeBenchmarks.Width, 1, deliveries),
            _ => DeterministicWorkload.FanOut(RuntimeBenchmarks.Width, 1, deliveries),
        };
        TimeSpan cpuBefore = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
        (double rate, double bytes) = RuntimeBenchmarks.MeasureDeterministic(workload, 0, deliveries);
        TimeSpan cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        Console.WriteLine($"{args[1]}: {rate / 1e6:F2}M deliveries/s, {deliveries / cpu.TotalSeconds / 1e6:F2}M per cpu-second, {bytes:F3} bytes/delivery, trace {workload.TraceHashValue:x16}");
    }

    return 0;
}

// "trace-hashes" prints TraceHashCensus's lines: the golden file of tests/ShadowPt.Tests/Scenarios/Golden.
if (args.Length == 1 && args[0] == "trace-hashes")
{
    foreach (string line in TraceHashCensus.Lines(Path.Combine(AppContext.BaseDirectory, "config")))
    {
        Console.WriteLine(line);
    }

    return 0;
}

// "explore-loop N [SCENARIO] [ROUNDS] [--alloc]": rounds of N random schedules on one worker, in-process, for a
// profiler: schedules/s, KiB/schedule, collections, first-chance exceptions and, with --alloc, allocations by type.
if (args.Length >= 2 && args[0] == "explore-loop")
{
    ExploreLoop.Run(
        long.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture),
        args.Length > 2 && !args[2].StartsWith("--", StringComparison.Ordinal) ? args[2] : "default",
        args.Length > 3 && !args[3].StartsWith("--", StringComparison.Ordinal) ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 3,
        args.Contains("--alloc"));
    return 0;
}

BenchmarkSwitcher.FromAssembly(typeof(ShadowPt.Benchmarks.DeterministicBenchmarks).Assembly).Run(args);
return 0;
