using System.Text.Json;

namespace ShadowPt.Visualisation;

/// <summary>
/// Writes a recording as Chrome trace-event JSON (the format ui.perfetto.dev and chrome://tracing
/// open): one thread track per simulated CPU, per task and for the memory subsystem; B/E spans for
/// kernel paths, lock holds and IPI handlers; instant events for PTE changes, TLB flushes, shadow
/// writes and memory operations; s/f flows for IPIs, acknowledgements, requests and replies. Time is
/// the scheduler step (one step shown as one microsecond); the tick is in each event's args.
/// </summary>
public static class PerfettoTrace
{
    /// <summary>The process id every track belongs to (one simulated machine).</summary>
    private const int MachinePid = 1;

    public static void Write(RunRecording recording, Stream output)
    {
        ArgumentNullException.ThrowIfNull(recording);
        ArgumentNullException.ThrowIfNull(output);
        using var json = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = false });
        json.WriteStartObject();
        json.WriteString("displayTimeUnit", "ns");
        json.WriteStartArray("traceEvents");
        WriteMetadata(json, recording);
        var open = new Dictionary<int, int>();
        foreach (RecordedEvent e in recording.Events)
        {
            if (e.Phase == RecordedPhase.End)
            {
                if (open.GetValueOrDefault(e.Track) == 0)
                {
                    continue; // its begin was dropped
                }

                open[e.Track]--;
            }
            else if (e.Phase == RecordedPhase.Begin)
            {
                open[e.Track] = open.GetValueOrDefault(e.Track) + 1;
            }

            WriteEvent(json, e);
        }

        long last = recording.Report?.Steps ?? recording.Events.LastOrDefault()?.Step ?? 0;
        foreach ((int track, int depth) in open.OrderBy(o => o.Key))
        {
            for (int i = 0; i < depth; i++)
            {
                WriteEvent(json, new RecordedEvent(last, 0, track, 0, RecordedPhase.End, "unfinished", "unfinished"));
            }
        }

        json.WriteEndArray();
        json.WriteStartObject("metadata");
        json.WriteString("scenario", recording.Scenario);
        json.WriteString("time-unit", "one microsecond per scheduler step");
        if (recording.Report is { } report)
        {
            json.WriteString("trace-hash", report.TraceHash);
            json.WriteString("result", report.Violation?.Kind ?? "ok");
            json.WriteNumber("steps", report.Steps);
        }

        json.WriteNumber("events-dropped", recording.EventsDropped);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteMetadata(Utf8JsonWriter json, RunRecording recording)
    {
        json.WriteStartObject();
        json.WriteString("ph", "M");
        json.WriteString("name", "process_name");
        json.WriteNumber("pid", MachinePid);
        json.WriteStartObject("args");
        json.WriteString("name", "shadowpt " + recording.Scenario);
        json.WriteEndObject();
        json.WriteEndObject();
        int sort = 0;
        foreach (RecordedTrack track in recording.Tracks)
        {
            foreach ((string name, Action<Utf8JsonWriter> value) in new (string, Action<Utf8JsonWriter>)[]
            {
                ("thread_name", w => w.WriteString("name", track.Name)),
                ("thread_sort_index", w => w.WriteNumber("sort_index", sort)),
            })
            {
                json.WriteStartObject();
                json.WriteString("ph", "M");
                json.WriteString("name", name);
                json.WriteNumber("pid", MachinePid);
                json.WriteNumber("tid", track.Id);
                json.WriteStartObject("args");
                value(json);
                json.WriteEndObject();
                json.WriteEndObject();
            }

            sort++;
        }
    }

    private static void WriteEvent(Utf8JsonWriter json, RecordedEvent e)
    {
        json.WriteStartObject();
        json.WriteString("name", e.Name);
        json.WriteString("cat", e.Category);
        json.WriteString("ph", e.Phase switch
        {
            RecordedPhase.Begin => "B",
            RecordedPhase.End => "E",
            RecordedPhase.Instant => "i",
            RecordedPhase.FlowStart => "s",
            _ => "f",
        });
        json.WriteNumber("ts", e.Step);
        json.WriteNumber("pid", MachinePid);
        json.WriteNumber("tid", e.Track);
        if (e.Phase == RecordedPhase.Instant)
        {
            json.WriteString("s", "t");
        }
        else if (e.Phase is RecordedPhase.FlowStart or RecordedPhase.FlowEnd)
        {
            json.WriteNumber("id", e.FlowId);
            if (e.Phase == RecordedPhase.FlowEnd)
            {
                json.WriteString("bp", "e");
            }
        }

        if (e.Phase != RecordedPhase.End || e.Fields.Count > 0)
        {
            json.WriteStartObject("args");
            json.WriteNumber("tick", e.Tick);
            if (e.Pid != 0)
            {
                json.WriteNumber("pid", e.Pid);
            }

            foreach (KeyValuePair<string, string> field in e.Fields)
            {
                json.WriteString(field.Key, field.Value);
            }

            json.WriteEndObject();
        }

        json.WriteEndObject();
    }
}
