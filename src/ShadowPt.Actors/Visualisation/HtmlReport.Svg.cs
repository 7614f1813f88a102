using System.Globalization;
using System.Text;

namespace ShadowPt.Visualisation;

/// <summary>The report's drawings, as inline SVG built here (no graphviz, no script needed to see them).</summary>
public static partial class HtmlReport
{
    /// <summary>Most spans drawn per track; the rest are left out (the Perfetto trace has them all).</summary>
    private const int SpansPerTrackMax = 4000;

    /// <summary>Most instant marks and arrows drawn in all.</summary>
    private const int MarksMax = 6000;

    private const int RowHeight = 34;

    private const int LabelWidth = 130;

    private static string F(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    private static string TimelineSvg(RunRecording recording, long violationStep)
    {
        IReadOnlyList<RecordedTrack> tracks = recording.Tracks;
        var row = new Dictionary<int, int>();
        for (int i = 0; i < tracks.Count; i++)
        {
            row[tracks[i].Id] = i;
        }

        long steps = Math.Max(1, recording.Report?.Steps ?? recording.Events.LastOrDefault()?.Step ?? 1);
        double scale = Math.Clamp(4000.0 / steps, 0.01, 12); // at most about 4000 pixels wide for long runs
        double width = LabelWidth + (steps * scale) + 20;
        int height = (tracks.Count * RowHeight) + 24;
        double X(long step) => LabelWidth + (step * scale);
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"timeline\" width=\"{F(width)}\" height=\"{height}\">");
        svg.Append("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"6\" markerHeight=\"6\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#333\"/></marker></defs>");
        for (int i = 0; i < tracks.Count; i++)
        {
            int y = i * RowHeight;
            svg.Append(CultureInfo.InvariantCulture, $"<g class=\"track\" data-track=\"{E(tracks[i].Name)}\"><rect x=\"0\" y=\"{y}\" width=\"{F(width)}\" height=\"{RowHeight}\" fill=\"{(i % 2 == 0 ? "#f7f7f7" : "#ffffff")}\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text class=\"label\" x=\"4\" y=\"{y + 20}\">{E(tracks[i].Name)}</text></g>");
        }

        AppendSpans(svg, recording, row, X, scale);
        AppendMarks(svg, recording, row, X);
        if (violationStep >= 0)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<line class=\"violation-line\" x1=\"{F(X(violationStep))}\" y1=\"0\" x2=\"{F(X(violationStep))}\" y2=\"{height - 20}\" stroke=\"red\" stroke-width=\"2\"><title>violation at step {violationStep}</title></line>");
        }

        for (long s = 0; s <= steps; s += Math.Max(1, steps / 10))
        {
            svg.Append(CultureInfo.InvariantCulture, $"<text class=\"axis\" x=\"{F(X(s))}\" y=\"{height - 6}\">{s}</text>");
        }

        return svg.Append("</svg>").ToString();
    }

    private static void AppendSpans(StringBuilder svg, RunRecording recording, Dictionary<int, int> row, Func<long, double> x, double scale)
    {
        var open = new Dictionary<int, Stack<RecordedEvent>>();
        var drawn = new Dictionary<int, int>();
        foreach (RecordedEvent e in recording.Events)
        {
            if (!row.TryGetValue(e.Track, out int r))
            {
                continue;
            }

            if (!open.TryGetValue(e.Track, out Stack<RecordedEvent>? stack))
            {
                stack = new Stack<RecordedEvent>();
                open[e.Track] = stack;
            }

            if (e.Phase == RecordedPhase.Begin)
            {
                stack.Push(e);
            }
            else if (e.Phase == RecordedPhase.End && stack.TryPop(out RecordedEvent? begin) && drawn.GetValueOrDefault(e.Track) < SpansPerTrackMax)
            {
                drawn[e.Track] = drawn.GetValueOrDefault(e.Track) + 1;
                int depth = Math.Min(stack.Count, 4);
                double top = (r * RowHeight) + 3 + (depth * 6);
                double w = Math.Max(Math.Max(scale, 1), (e.Step - begin.Step) * scale);
                string color = begin.Category switch
                {
                    "lock" => "#f0a030",
                    "ipi" => "#9060c0",
                    "fault" => "#d05050",
                    "tlb" => "#40a070",
                    "request" => "#a0a0a0",
                    _ => "#4a80c8",
                };
                svg.Append(CultureInfo.InvariantCulture, $"<rect class=\"span span-{E(begin.Category)}\" x=\"{F(x(begin.Step))}\" y=\"{F(top)}\" width=\"{F(w)}\" height=\"{F(RowHeight - 6 - (depth * 6))}\" fill=\"{color}\" fill-opacity=\"0.75\">");
                svg.Append("<title>").Append(E($"{begin.Name} [{begin.Step}..{e.Step}] {string.Join(' ', begin.Fields.Select(f => f.Key + "=" + f.Value))}")).Append("</title></rect>");
            }
        }
    }

    private static void AppendMarks(StringBuilder svg, RunRecording recording, Dictionary<int, int> row, Func<long, double> x)
    {
        int marks = 0;
        var flowStarts = new Dictionary<long, RecordedEvent>();
        foreach (RecordedEvent e in recording.Events)
        {
            if (marks >= MarksMax || !row.TryGetValue(e.Track, out int r))
            {
                continue;
            }

            double y = r * RowHeight;
            if (e.Phase == RecordedPhase.Instant && e.Category is "pte" or "shadow" or "tlb")
            {
                string color = e.Category == "shadow" ? "#107010" : e.Category == "pte" ? "#202080" : "#a02020";
                svg.Append(CultureInfo.InvariantCulture, $"<line class=\"mark mark-{e.Category}\" x1=\"{F(x(e.Step))}\" y1=\"{F(y + 1)}\" x2=\"{F(x(e.Step))}\" y2=\"{F(y + 8)}\" stroke=\"{color}\" stroke-width=\"1.5\"><title>{E(e.Name + " " + string.Join(' ', e.Fields.Select(f => f.Key + "=" + f.Value)))}</title></line>");
                marks++;
            }
            else if (e.Phase == RecordedPhase.FlowStart && e.Category == "ipi")
            {
                flowStarts[e.FlowId] = e;
            }
            else if (e.Phase == RecordedPhase.FlowEnd && e.Category == "ipi" && flowStarts.Remove(e.FlowId, out RecordedEvent? start) && row.TryGetValue(start.Track, out int from))
            {
                double y1 = (from * RowHeight) + (RowHeight / 2.0);
                double y2 = y + (RowHeight / 2.0) + (y > from * RowHeight ? -6 : 6);
                svg.Append(CultureInfo.InvariantCulture, $"<line class=\"ipi-arrow\" x1=\"{F(x(start.Step))}\" y1=\"{F(y1)}\" x2=\"{F(x(e.Step))}\" y2=\"{F(y2)}\" stroke=\"#333\" stroke-width=\"1.2\" marker-end=\"url(#arrow)\"><title>{E(e.Name + " cpu" + start.Track + " → cpu" + e.Track)}</title></line>");
                marks++;
            }
        }
    }

    private static string LockGraphSvg(LockGraph graph)
    {
        if (graph.Nodes.Count == 0)
        {
            return "<p class=\"note\">No lock was taken while another was held.</p>";
        }

        int n = graph.Nodes.Count;
        double radius = Math.Max(120, n * 40);
        double cx = radius + 160;
        double cy = radius + 40;
        var at = new Dictionary<string, (double X, double Y)>(StringComparer.Ordinal);
        for (int i = 0; i < n; i++)
        {
            double angle = (2 * Math.PI * i / n) - (Math.PI / 2);
            at[graph.Nodes[i]] = (cx + (radius * Math.Cos(angle)), cy + (radius * Math.Sin(angle)));
        }

        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"lockgraph\" width=\"{F((2 * cx) + 40)}\" height=\"{F((2 * cy) + 20)}\">");
        svg.Append("<defs><marker id=\"arrowlg\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#555\"/></marker><marker id=\"arrowred\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"red\"/></marker></defs>");
        foreach (LockDependency e in graph.Edges)
        {
            bool red = graph.CycleEdges.Contains((e.Outer, e.Inner));
            (double x1, double y1) = at[e.Outer];
            (double x2, double y2) = at[e.Inner];
            double dx = x2 - x1;
            double dy = y2 - y1;
            double len = Math.Max(1, Math.Sqrt((dx * dx) + (dy * dy)));
            double bend = 0.12; // curve sideways so A->B and B->A do not overlap
            double mx = ((x1 + x2) / 2) - (dy * bend);
            double my = ((y1 + y2) / 2) + (dx * bend);
            double ex = x2 - (dx / len * 22);
            double ey = y2 - (dy / len * 22);
            string color = red ? "red" : "#555";
            svg.Append(CultureInfo.InvariantCulture, $"<path class=\"edge{(red ? " cycle" : string.Empty)}\" d=\"M{F(x1)},{F(y1)} Q{F(mx)},{F(my)} {F(ex)},{F(ey)}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"{(red ? 2.5 : 1.2)}\" marker-end=\"url(#{(red ? "arrowred" : "arrowlg")})\">");
            svg.Append("<title>").Append(E($"{e.Outer} → {e.Inner}: {LockGraph.Label(e)}")).Append("</title></path>");
            svg.Append(CultureInfo.InvariantCulture, $"<text class=\"edge-label\" x=\"{F(mx)}\" y=\"{F(my)}\" fill=\"{color}\">{E(e.OuterPlace + " → " + e.InnerPlace)}</text>");
        }

        foreach (string node in graph.Nodes)
        {
            (double x, double y) = at[node];
            bool red = graph.OnCycle(node);
            svg.Append(CultureInfo.InvariantCulture, $"<g class=\"node{(red ? " cycle" : string.Empty)}\"><ellipse cx=\"{F(x)}\" cy=\"{F(y)}\" rx=\"{F(Math.Max(50, node.Length * 4.2))}\" ry=\"18\" fill=\"#fff\" stroke=\"{(red ? "red" : "#333")}\" stroke-width=\"{(red ? 2.5 : 1)}\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{F(x)}\" y=\"{F(y + 4)}\" text-anchor=\"middle\">{E(node)}</text></g>");
        }

        return svg.Append("</svg>").ToString();
    }
}
