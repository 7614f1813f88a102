using System.Text;

namespace ShadowPt.Visualisation;

/// <summary>
/// The recording as a text log in the style of ftrace / trace-cmd report:
/// <c>task-pid [cpu] tick: event: key=value ...</c>, for example
/// <c>target-1 [000] 2: mm_page_fault: address=0x10002000 error_code=0x6</c>.
/// Only events with an ftrace name are logged (not every memory operation).
/// </summary>
public static class FtraceLog
{
    /// <summary>The header trace-cmd prints, with the columns' meaning.</summary>
    public const string Header = "# tracer: shadowpt (simulated ticks; one line per kernel event)\n#\n#   TASK-PID     CPU#  TICK: FUNCTION: FIELDS\n#      | |        |     |     |";

    public static void Write(RunRecording recording, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(recording);
        ArgumentNullException.ThrowIfNull(output);
        output.WriteLine(Header);
        var comms = new Dictionary<int, string>();
        foreach (RecordedTrack t in recording.Tracks.Where(t => t.Id > RunRecording.TaskTrackBase && t.Id < RunRecording.ActorTrackBase))
        {
            int dash = t.Name.LastIndexOf('-');
            comms[t.Id - RunRecording.TaskTrackBase] = dash > 0 ? t.Name[..dash] : t.Name;
        }

        foreach (RecordedEvent e in recording.Events)
        {
            if (e.Ftrace is not null)
            {
                output.WriteLine(Line(e, comms));
            }
        }
    }

    /// <summary>One log line.</summary>
    public static string Line(RecordedEvent e, IReadOnlyDictionary<int, string> comms)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(comms);
        string task = e.Pid == 0 ? "<idle>-0" : (comms.TryGetValue(e.Pid, out string? comm) ? comm : "task") + "-" + KernelNames.Dec(e.Pid);
        string cpu = e.Track < RunRecording.MemoryTrack ? e.Track.ToString("D3", System.Globalization.CultureInfo.InvariantCulture) : "---";
        var line = new StringBuilder();
        line.Append(task.PadLeft(16)).Append(" [").Append(cpu).Append("] ").Append(KernelNames.Dec(e.Tick)).Append(": ").Append(e.Ftrace).Append(':');
        foreach (KeyValuePair<string, string> f in e.Fields)
        {
            line.Append(' ').Append(f.Key).Append('=').Append(f.Value.Contains(' ', StringComparison.Ordinal) ? "\"" + f.Value + "\"" : f.Value);
        }

        return line.ToString();
    }
}
