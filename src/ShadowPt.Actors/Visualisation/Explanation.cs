using System.Text;
using ShadowPt.Runtime;

namespace ShadowPt.Visualisation;

/// <summary>
/// The violating interleaving of a recorded run as a short two-column narrative, in the shape of
/// lockdep's "Possible unsafe locking scenario": the two CPUs involved side by side, each line one
/// step named in kernel terms, only the last <see cref="LinesMax"/> steps that matter before the
/// violation (system calls, faults, locks, PTE and shadow writes, shootdowns and IPIs). Each column
/// names its CPU's task (and the one it runs at the violation when that differs), and a last line
/// says what every CPU runs then (per_cpu(current_task, cpu)).
/// </summary>
public static class Explanation
{
    /// <summary>Most narrative lines.</summary>
    public const int LinesMax = 24;

    /// <summary>How far before the violation the second CPU is looked for, in steps.</summary>
    public const long WindowSteps = 400;

    /// <summary>User loads and stores are told only this close to the violation (an inspector's reads would fill the story).</summary>
    public const long UserAccessWindowSteps = 40;

    /// <summary>Width of a column, in characters.</summary>
    private const int ColumnWidth = 44;

    public static string Explain(RunRecording recording)
    {
        ArgumentNullException.ThrowIfNull(recording);
        Violation? violation = recording.Report?.Violation;
        long end = violation?.Step ?? recording.Report?.Steps ?? long.MaxValue;
        var notable = recording.Events
            .Where(e => e.Step <= end && e.Track < recording.Cpus && (e.Category != "user" || e.Step >= end - UserAccessWindowSteps))
            .Select(e => (Event: e, Text: Describe(e)))
            .Where(x => x.Text is not null)
            .ToList();
        var text = new StringBuilder();
        text.Append(violation is null ? "no violation: the run ended ok" : $"violation: {violation.Kind} at step {KernelNames.Dec(violation.Step)}, tick {KernelNames.Dec(violation.Tick.Value)}").Append('\n');
        if (notable.Count == 0)
        {
            return text.Append("no kernel events were recorded\n").ToString();
        }

        int first = notable[^1].Event.Track;
        int? second = notable.Where(x => x.Event.Track != first && x.Event.Step >= end - WindowSteps)
            .GroupBy(x => x.Event.Track).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).Select(g => (int?)g.Key).FirstOrDefault();
        int[] cpus = second is int s ? [Math.Min(first, s), Math.Max(first, s)] : [first];
        List<(RecordedEvent Event, string Text)> lines = Collapse(notable.Where(x => cpus.Contains(x.Event.Track)).ToList());
        lines = lines.Skip(Math.Max(0, lines.Count - LinesMax)).ToList();

        text.Append('\n');
        IReadOnlyList<CpuCurrentChange> current = recording.CurrentAt(end);
        text.Append(Row(cpus.Select(c => Header(recording, c, lines, current)).ToArray()));
        text.Append(Row(cpus.Select(_ => "----").ToArray()));
        foreach ((RecordedEvent e, string line) in lines)
        {
            string[] cells = cpus.Select(c => c == e.Track ? $"[{KernelNames.Dec(e.Step)}] {line}" : string.Empty).ToArray();
            text.Append(Row(cells));
        }

        if (current.Count > 0)
        {
            long at = end == long.MaxValue ? current.Max(c => c.AfterStep) : end;
            text.Append('\n').Append("  current after step ").Append(KernelNames.Dec(at))
                .Append(": ").Append(string.Join(" | ", current.Select(c => "cpu" + KernelNames.Dec(c.Cpu) + " " + c.Task))).Append('\n');
        }

        if (violation is not null)
        {
            text.Append('\n').Append(new string(' ', 6)).Append("*** ").Append(violation.Kind).Append(" ***\n");
            string firstLine = violation.Message.Split('\n').FirstOrDefault(l => l.Trim().Length > 0 && !l.StartsWith("=", StringComparison.Ordinal))?.Trim() ?? string.Empty;
            text.Append(new string(' ', 6)).Append(firstLine.Length > 120 ? firstLine[..120] + "..." : firstLine).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>The step in kernel terms, or null when it is not worth a line.</summary>
    public static string? Describe(RecordedEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        string? address = e.Field("address");
        return (e.Category, e.Phase) switch
        {
            ("syscall", RecordedPhase.Begin) when e.Field("continued") is null => e.Name,
            ("user", RecordedPhase.Begin) when e.Field("continued") is null && e.Name != "idle" => $"{e.Name} {address}",
            ("fault", RecordedPhase.Begin) when e.Field("continued") is null => $"do_user_addr_fault {address}",
            ("lock", RecordedPhase.Instant) => $"{e.Name}({e.Field("lock")})",
            ("lock", RecordedPhase.End) when e.Ftrace == "lock_release" => $"{ReleaseName(e)}({e.Field("lock")})",
            ("pte", RecordedPhase.Instant) => $"set_pte_at {address}" + (e.Field("new") == "0x0" ? " (clear)" : string.Empty),
            ("shadow", RecordedPhase.Instant) => e.Name,
            ("tlb", RecordedPhase.Begin) when e.Field("continued") is null => "flush_tlb_mm_range" + (e.Field("ipi_cpus") is string t && t != "none" ? " → IPI CPU" + t : string.Empty),
            ("ipi", RecordedPhase.Begin) when e.Field("continued") is null => $"flush_tlb_func (IPI from CPU{e.Field("from_cpu")})",
            _ => null,
        };
    }

    private static string ReleaseName(RecordedEvent e) => e.Field("call") ?? "unlock";

    /// <summary>Runs of the same line on the same CPU become one line with a count (three shadow words of one entry, say).</summary>
    private static List<(RecordedEvent Event, string Text)> Collapse(List<(RecordedEvent Event, string? Text)> events)
    {
        var lines = new List<(RecordedEvent Event, string Text)>();
        var repeats = new List<int>();
        foreach ((RecordedEvent e, string? text) in events)
        {
            int last = lines.FindLastIndex(l => l.Event.Track == e.Track);
            if (last >= 0 && last == lines.Count - 1 && lines[last].Text == text)
            {
                repeats[last]++;
                continue;
            }

            lines.Add((e, text!));
            repeats.Add(1);
        }

        return lines.Select((l, i) => repeats[i] > 1 ? (l.Event, $"{l.Text} ×{KernelNames.Dec(repeats[i])}") : l).ToList();
    }

    /// <summary>
    /// <c>CPU0 (target-1)</c>: the task of the CPU's last narrated line and, when the CPU runs another
    /// at the violation (per_cpu(current_task, cpu)), that one too: <c>CPU1 (inspector-2; now swapper/1 (idle))</c>.
    /// </summary>
    private static string Header(RunRecording recording, int cpu, List<(RecordedEvent Event, string Text)> lines, IReadOnlyList<CpuCurrentChange> current)
    {
        int pid = lines.LastOrDefault(l => l.Event.Track == cpu && l.Event.Pid != 0).Event?.Pid ?? 0;
        string? task = pid == 0 ? null : recording.TrackName(RunRecording.TaskTrackBase + pid);
        CpuCurrentChange? now = current.FirstOrDefault(c => c.Cpu == cpu);
        string name = (task, now) switch
        {
            (null, null) => string.Empty,
            (null, { } n) => n.Task,
            ({ } t, { } n) when n.Pid != pid => t + "; now " + n.Task,
            ({ } t, _) => t,
        };
        return "CPU" + KernelNames.Dec(cpu) + (name.Length == 0 ? string.Empty : " (" + name + ")");
    }

    private static string Row(string[] cells)
    {
        var row = new StringBuilder("  ");
        for (int i = 0; i < cells.Length; i++)
        {
            string cell = cells[i].Length > ColumnWidth - 2 ? cells[i][..(ColumnWidth - 3)] + "…" : cells[i];
            row.Append(i == cells.Length - 1 ? cell : cell.PadRight(ColumnWidth));
        }

        return row.ToString().TrimEnd() + "\n";
    }
}
