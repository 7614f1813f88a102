using System.Diagnostics.Tracing;
using System.Globalization;
using ShadowPt.Benchmarking;
using ShadowPt.Exploration;
using ShadowPt.Scenarios;

namespace ShadowPt.Benchmarks;

/// <summary>
/// Rounds of an in-process exploration (random strategy, one worker) for profiling the per-schedule cost:
/// schedules/s (wall and CPU), KiB allocated per schedule, collections, first-chance exceptions, and with
/// <c>--alloc</c> the runtime's sampled allocations by type (GCAllocationTick, one sample per ~100 KB).
/// KiB per schedule and the exception count are deterministic; the rates are not.
/// </summary>
internal static class ExploreLoop
{
    public static void Run(long schedules, string scenario, int rounds, bool allocations)
    {
        if (ScenarioCatalog.TryCreate(scenario) is null)
        {
            throw new ArgumentException($"no built-in scenario '{scenario}'", nameof(scenario));
        }

        using AllocationSampler? sampler = allocations ? new AllocationSampler() : null;
        var exceptions = new Dictionary<string, int>(StringComparer.Ordinal);
        AppDomain.CurrentDomain.FirstChanceException += (_, e) =>
        {
            string key = e.Exception.GetType().Name;
            lock (exceptions)
            {
                exceptions[key] = exceptions.GetValueOrDefault(key) + 1;
            }
        };
        var options = new ExploreOptions { Strategy = "random", Schedules = schedules, Workers = 1 };
        for (int round = 0; round < rounds; round++)
        {
            ExplorePhase p = ExploreBenchmarks.Measure($"round {round}", () => ScenarioCatalog.TryCreate(scenario)!, options with { Seed = (ulong)round + 1 });
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"{p.Name}: {p.Schedules} schedules in {p.WallSeconds:F2} s wall, {p.CpuSeconds:F2} CPU-s: {p.PerSecond:F0}/s, {p.PerCpuSecond:F0}/CPU-s; {p.KibPerSchedule:F1} KiB/schedule; GC pause {p.GcPauseSeconds:F2} s, collections {p.Gen0}/{p.Gen1}/{p.Gen2}"));
            lock (exceptions)
            {
                foreach (KeyValuePair<string, int> e in exceptions.OrderByDescending(e => e.Value))
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  first-chance exceptions: {e.Value} {e.Key}"));
                }

                exceptions.Clear();
            }

            sampler?.PrintAndClear(Console.Out, 40);
        }
    }

    /// <summary>The runtime's allocation samples by type name, from an in-process listener (no tools needed).</summary>
    private sealed class AllocationSampler : EventListener
    {
        private readonly Dictionary<string, long> _bytesByType = new(StringComparer.Ordinal);

        public void PrintAndClear(TextWriter output, int top)
        {
            lock (_bytesByType)
            {
                long total = Math.Max(1, _bytesByType.Values.Sum());
                foreach (KeyValuePair<string, long> t in _bytesByType.OrderByDescending(t => t.Value).Take(top))
                {
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {100.0 * t.Value / total,5:F1}% {t.Key}"));
                }

                _bytesByType.Clear();
            }
        }

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
            {
                EnableEvents(eventSource, EventLevel.Verbose, (EventKeywords)0x1); // GC keyword: GCAllocationTick
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            if (eventData.EventName?.StartsWith("GCAllocationTick", StringComparison.Ordinal) != true || eventData.PayloadNames is null || eventData.Payload is null)
            {
                return;
            }

            int type = eventData.PayloadNames.IndexOf("TypeName");
            int amount = eventData.PayloadNames.IndexOf("AllocationAmount64");
            if (type < 0 || amount < 0 || eventData.Payload[type] is not string name)
            {
                return;
            }

            long bytes = Convert.ToInt64(eventData.Payload[amount], CultureInfo.InvariantCulture);
            lock (_bytesByType)
            {
                _bytesByType[name] = _bytesByType.GetValueOrDefault(name) + bytes;
            }
        }
    }
}
