using System.Globalization;
using ShadowPt.Kernel;

namespace ShadowPt.Scenarios;

/// <summary>End-of-run lines for the fault policy and NUMA balancing, and each process's fault counts (/proc/PID/stat minflt, majflt).</summary>
public static class PolicyReport
{
    /// <summary>True when <see cref="Lines"/> has something to say: the machine has a fault policy or NUMA balancing.</summary>
    public static bool HasLines(KernelState s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return s.Config.FaultPolicy is not null || s.Config.Numa is not null;
    }

    /// <summary>The lines; empty unless the machine has a fault policy or NUMA balancing.</summary>
    public static IEnumerable<string> Lines(KernelState s)
    {
        ArgumentNullException.ThrowIfNull(s);
        if (!HasLines(s))
        {
            yield break;
        }

        if (s.Config.FaultPolicy is not null)
        {
            yield return s.Extension<FaultPolicyState>().ToString();
        }

        NumaState numa = s.Extension<NumaState>();
        foreach (TaskStruct task in s.Tasks)
        {
            MmStruct? mm = task.Mm;
            string faults = mm is null ? "exited" : string.Create(CultureInfo.InvariantCulture, $"minflt {mm.MinFlt} majflt {mm.MajFlt}");
            TaskNuma? t = numa.FindTask(task.Pid);
            string numaText = t is null ? string.Empty : string.Create(
                CultureInfo.InvariantCulture,
                $", numa_hint_faults {t.HintFaults} (local {t.HintFaultsLocal}), numa_pages_migrated {t.PagesMigrated}, scan period {t.ScanPeriodMs} ms");
            yield return $"{task}: {faults}{numaText}";
        }

        foreach (MmStruct mm in s.Mms)
        {
            if (numa.FindMm(mm.Id) is { ScanTicks.Count: > 0 } m)
            {
                yield return $"{mm.Id} numa scans at s: " + string.Join(' ', m.ScanTicks.Select(t => Seconds(t)));
                yield return $"{mm.Id} numa scan intervals s: " + string.Join(' ', ScanIntervalsMs(m).Select(ms => (ms / 1000.0).ToString("0.###", CultureInfo.InvariantCulture)));
            }
        }
    }

    /// <summary>The intervals between successive scans of <paramref name="m"/>, in milliseconds.</summary>
    public static IReadOnlyList<long> ScanIntervalsMs(MmNuma m)
    {
        ArgumentNullException.ThrowIfNull(m);
        var intervals = new List<long>();
        for (int i = 1; i < m.ScanTicks.Count; i++)
        {
            intervals.Add(NumaConfig.JiffiesToMsecs(m.ScanTicks[i] - m.ScanTicks[i - 1]));
        }

        return intervals;
    }

    private static string Seconds(long ticks) => (NumaConfig.JiffiesToMsecs(ticks) / 1000.0).ToString("0.###", CultureInfo.InvariantCulture);
}
