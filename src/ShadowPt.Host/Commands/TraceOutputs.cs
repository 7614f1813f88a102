using System.CommandLine;
using ShadowPt.Visualisation;

namespace ShadowPt.Host.Commands;

/// <summary>The options of run and replay that record the run: <c>--trace-out FILE.json</c> and <c>--log-format ftrace</c>.</summary>
internal sealed class TraceOutputs
{
    public Option<string?> TraceOut { get; } = new("--trace-out")
    {
        Description = "Write a Chrome/Perfetto trace (JSON; open it in ui.perfetto.dev): a track per CPU and task, kernel-path and lock spans, PTE/TLB/shadow events, IPI and request flows; time is the scheduler step.",
        HelpName = "FILE.json",
    };

    public Option<string> LogFormat { get; } = new("--log-format")
    {
        Description = "'ftrace' prints the run's kernel events before the summary as ftrace lines (task-pid [cpu] tick: event: fields); 'none' (default) prints none.",
        DefaultValueFactory = _ => "none",
        HelpName = "FORMAT",
    };

    public TraceOutputs() => LogFormat.AcceptOnlyFromAmong("none", "ftrace");

    public IEnumerable<Option> All => [TraceOut, LogFormat];

    /// <summary>Whether the command line asks for a recording.</summary>
    public bool Wanted(ParseResult parsed) => parsed.GetValue(TraceOut) is not null || parsed.GetValue(LogFormat) == "ftrace";

    /// <summary>Writes what was asked for: the log on <paramref name="stdout"/>, the trace to its file (through a temporary file and a rename).</summary>
    public void Write(ParseResult parsed, RunRecording recording, TextWriter stdout)
    {
        if (parsed.GetValue(LogFormat) == "ftrace")
        {
            FtraceLog.Write(recording, stdout);
        }

        if (parsed.GetValue(TraceOut) is string path)
        {
            SaveAtomically(path, stream => PerfettoTrace.Write(recording, stream));
            stdout.WriteLine($"trace: {path}");
        }
    }

    /// <summary>Writes <paramref name="path"/> through a temporary file beside it, so an interrupted write leaves no half file.</summary>
    public static void SaveAtomically(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        string temp = full + ".tmp";
        using (FileStream stream = File.Create(temp))
        {
            write(stream);
        }

        File.Move(temp, full, overwrite: true);
    }
}
