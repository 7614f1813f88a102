using System.Net;
using System.Text;
using System.Text.Json;
using ShadowPt.Runtime;
using ShadowPt.Spt;

namespace ShadowPt.Visualisation;

/// <summary>
/// One self-contained HTML page about a recorded run (no network: inline CSS, JS and SVG): the summary
/// and the violation report, a per-CPU timeline with lock spans and IPI arrows, the lock graph, and the
/// shadow table beside the truth at any recorded step (a slider over the embedded snapshots), with the
/// entries that differ highlighted. Everything from a scenario or schedule is HTML-escaped; the
/// snapshots are JSON in a <c>script type="application/json"</c> element with &lt; &gt; &amp; escaped.
/// </summary>
public static partial class HtmlReport
{
    public static string Render(RunRecording recording)
    {
        ArgumentNullException.ThrowIfNull(recording);
        var html = new StringBuilder();
        RunReportSummary(recording, out string title, out long violationStep);
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
        html.Append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">");
        html.Append("<title>").Append(E(title)).Append("</title><style>").Append(Css).Append("</style></head>\n");
        html.Append("<body data-violation-step=\"").Append(KernelNames.Dec(violationStep)).Append("\">\n");
        html.Append("<h1>").Append(E(title)).Append("</h1>\n");
        AppendSummary(html, recording);
        AppendCurrent(html, recording, violationStep);
        html.Append("<h2>Timeline</h2>\n<p class=\"note\">One row per CPU and task; time is the scheduler step. Spans: kernel paths (blue), locks held (orange), IPI handlers (purple); arrows: IPIs and acknowledgements; red line: the violation.</p>\n");
        html.Append("<div class=\"scroll\" id=\"timeline\">").Append(TimelineSvg(recording, violationStep)).Append("</div>\n");
        html.Append("<h2>Lock graph</h2>\n<p class=\"note\">Lock classes; A → B when B was taken while A was held (first place shown). Red: a cycle.</p>\n");
        html.Append("<div class=\"scroll\" id=\"lockgraph\">").Append(LockGraphSvg(LockGraph.Of(recording.LockDependencies))).Append("</div>\n");
        AppendShadow(html, recording);
        html.Append("<script type=\"application/json\" id=\"snapshots\">").Append(SnapshotsJson(recording)).Append("</script>\n");
        html.Append("<script type=\"application/json\" id=\"current\">").Append(CurrentJson(recording)).Append("</script>\n");
        html.Append("<script>").Append(Script).Append("</script>\n</body></html>\n");
        return html.ToString();
    }

    /// <summary>HTML-escapes text (also quotes, so it is safe in attributes).</summary>
    public static string E(string? text) => WebUtility.HtmlEncode(text ?? string.Empty);

    private static void RunReportSummary(RunRecording recording, out string title, out long violationStep)
    {
        Violation? v = recording.Report?.Violation;
        title = $"shadowpt report: {recording.Scenario}" + (v is null ? " (ok)" : $" ({v.Kind})");
        violationStep = v?.Step ?? -1;
    }

    private static void AppendSummary(StringBuilder html, RunRecording recording)
    {
        html.Append("<table class=\"summary\">");
        void Row(string key, string value) => html.Append("<tr><th>").Append(E(key)).Append("</th><td>").Append(E(value)).Append("</td></tr>");
        Row("scenario", recording.Scenario);
        if (recording.Report is { } r)
        {
            Row("strategy", r.Strategy);
            Row("steps", KernelNames.Dec(r.Steps));
            Row("ticks", KernelNames.Dec(r.Ticks.Value));
            Row("trace hash", r.TraceHash);
            Row("result", r.Violation is null ? "ok" : "violation: " + r.Violation.Kind);
        }

        Row("CPUs", KernelNames.Dec(recording.Cpus));
        if (recording.EventsDropped > 0 || recording.SnapshotsDropped > 0)
        {
            Row("left out", $"{recording.EventsDropped} events, {recording.SnapshotsDropped} early snapshots (bounds)");
        }

        html.Append("</table>\n");
        if (recording.Report?.Violation is { } v)
        {
            html.Append("<h2>Violation</h2>\n<p class=\"violation\">").Append(E($"{v.Kind} at step {v.Step}, tick {v.Tick.Value}")).Append("</p>\n");
            html.Append("<pre class=\"report\">").Append(E(v.Message)).Append("</pre>\n");
            html.Append("<h3>Explanation</h3>\n<pre class=\"report\" id=\"explain\">").Append(E(Explanation.Explain(recording))).Append("</pre>\n");
        }
    }

    private static void AppendShadow(StringBuilder html, RunRecording recording)
    {
        html.Append("<h2>Shadow table and truth</h2>\n");
        if (recording.Snapshots.Count == 0)
        {
            html.Append("<p class=\"note\" id=\"noshadow\">No shadow table was open and tracking during this run.</p>\n");
            return;
        }

        html.Append("<p class=\"note\">Snapshots at each quiescent point and after each shadow write (the latest ")
            .Append(KernelNames.Dec(RunRecording.SnapshotsMax)).Append(" kept). Highlighted: entries that differ from the truth.</p>\n");
        html.Append("<div class=\"controls\"><input type=\"range\" id=\"snapshot\" min=\"0\" max=\"")
            .Append(KernelNames.Dec(recording.Snapshots.Count - 1)).Append("\" value=\"0\" aria-label=\"snapshot\"> ");
        html.Append("<button id=\"prev\">◀</button> <button id=\"next\">▶</button> <button id=\"toviolation\">go to the violation</button> ");
        html.Append("<span id=\"snaplabel\"></span></div>\n");
        html.Append("<table class=\"shadow\" id=\"shadow\"><thead><tr><th>entry</th><th>vaddr</th><th>table pfn</th><th>table flags</th><th>truth pfn</th><th>truth flags</th></tr></thead><tbody></tbody></table>\n");
    }

    /// <summary>The snapshots as JSON, safe inside a script element: &lt;, &gt; and &amp; are \u escapes.</summary>
    public static string SnapshotsJson(RunRecording recording)
    {
        ArgumentNullException.ThrowIfNull(recording);
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartArray();
            foreach (ShadowSnapshot s in recording.Snapshots)
            {
                json.WriteStartObject();
                json.WriteNumber("step", s.Step);
                json.WriteNumber("tick", s.Tick);
                json.WriteString("reason", s.Reason);
                json.WriteStartArray("entries");
                for (int i = 0; i < s.Table.Count; i++)
                {
                    json.WriteStartArray();
                    json.WriteStringValue(KernelNames.Hex(s.Truth[i].Vaddr));
                    json.WriteStringValue(KernelNames.Hex(s.Table[i].Pfn));
                    json.WriteStringValue(Flags(s.Table[i].StateFlags));
                    json.WriteStringValue(KernelNames.Hex(s.Truth[i].Pfn));
                    json.WriteStringValue(Flags(s.Truth[i].StateFlags));
                    json.WriteBooleanValue(s.Table[i] != s.Truth[i]);
                    json.WriteEndArray();
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        return ScriptSafe(Encoding.UTF8.GetString(stream.ToArray()));
    }

    /// <summary>JSON text made safe to embed in a script element: &lt; &gt; &amp; (and the line separators) as \u escapes.</summary>
    public static string ScriptSafe(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return json.Replace("<", "\\u003c", StringComparison.Ordinal).Replace(">", "\\u003e", StringComparison.Ordinal)
            .Replace("&", "\\u0026", StringComparison.Ordinal).Replace("\u2028", "\\u2028", StringComparison.Ordinal).Replace("\u2029", "\\u2029", StringComparison.Ordinal);
    }

    /// <summary>A shadow entry's flags as the inspector prints them: allocated, anonymous, mapped.</summary>
    private static string Flags(ulong state) =>
        (Spt.Spt.IsVaddrAllocated(state) ? "A" : "-") + (Spt.Spt.IsVaddrAnonymous(state) ? "N" : "-") + (Spt.Spt.IsPteMapped(state) ? "M" : "-");
}
