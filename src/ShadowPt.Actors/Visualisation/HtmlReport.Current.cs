using System.Text;
using System.Text.Json;

namespace ShadowPt.Visualisation;

/// <summary>The report's per-cpu current view: which task each CPU runs after a chosen step.</summary>
public static partial class HtmlReport
{
    /// <summary>
    /// The per-cpu current section: a step field (the violation's step at first, else the last step)
    /// and a row per CPU with its current task or swapper/N, rendered here for the first step (so the
    /// page says it without script) and redrawn by the script from <see cref="CurrentJson"/>.
    /// </summary>
    private static void AppendCurrent(StringBuilder html, RunRecording recording, long violationStep)
    {
        if (recording.Cpus == 0 || recording.CurrentChanges.Count == 0)
        {
            return;
        }

        long last = recording.Report?.Steps ?? recording.CurrentChanges[^1].AfterStep;
        long step = violationStep >= 0 ? violationStep : last;
        html.Append("<h2>Per-CPU current task</h2>\n<p class=\"note\">per_cpu(current_task, cpu): the task each CPU runs after the chosen step (swapper/N: its idle task). The shadow table's slider moves it too.</p>\n");
        html.Append("<div class=\"controls\"><label>after step <input type=\"number\" id=\"cpustep\" min=\"0\" max=\"").Append(KernelNames.Dec(last))
            .Append("\" value=\"").Append(KernelNames.Dec(step)).Append("\"></label> <button id=\"cpu-toviolation\">go to the violation</button></div>\n");
        html.Append("<table class=\"shadow\" id=\"percpu\" data-step=\"").Append(KernelNames.Dec(step)).Append("\"><thead><tr><th>CPU</th><th>current</th></tr></thead><tbody>");
        foreach (CpuCurrentChange c in recording.CurrentAt(step))
        {
            html.Append("<tr data-cpu=\"").Append(KernelNames.Dec(c.Cpu)).Append("\" data-pid=\"").Append(KernelNames.Dec(c.Pid)).Append('"')
                .Append(c.IsIdle ? " class=\"idle\"" : string.Empty).Append("><td>cpu").Append(KernelNames.Dec(c.Cpu)).Append("</td><td>").Append(E(c.Task)).Append("</td></tr>");
        }

        html.Append("</tbody></table>\n");
        if (recording.CurrentChangesDropped > 0)
        {
            html.Append("<p class=\"note\">").Append(KernelNames.Dec(recording.CurrentChangesDropped)).Append(" later changes left out (bound): the view stops at step ")
                .Append(KernelNames.Dec(recording.CurrentChanges[^1].AfterStep)).Append(".</p>\n");
        }
    }

    /// <summary>The per-cpu current changes as JSON rows [afterStep, cpu, pid, task], safe inside a script element.</summary>
    public static string CurrentJson(RunRecording recording)
    {
        ArgumentNullException.ThrowIfNull(recording);
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartArray();
            foreach (CpuCurrentChange c in recording.CurrentChanges)
            {
                json.WriteStartArray();
                json.WriteNumberValue(c.AfterStep);
                json.WriteNumberValue(c.Cpu);
                json.WriteNumberValue(c.Pid);
                json.WriteStringValue(c.Task);
                json.WriteEndArray();
            }

            json.WriteEndArray();
        }

        return ScriptSafe(Encoding.UTF8.GetString(stream.ToArray()));
    }
}
