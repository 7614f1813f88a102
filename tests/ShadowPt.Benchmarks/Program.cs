using BenchmarkDotNet.Running;
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

BenchmarkSwitcher.FromAssembly(typeof(ShadowPt.Benchmarks.DeterministicBenchmarks).Assembly).Run(args);
return 0;
