using System.Security.Cryptography;
using System.Text.Json;
using ShadowPt.Scenarios;
using ShadowPt.Tests.Host;
using ShadowPt.Visualisation;

namespace ShadowPt.Tests.Visualisation;

/// <summary>The Chrome/Perfetto trace: valid JSON, a track per CPU, spans that nest, matched flows, and a stable golden hash.</summary>
public sealed class PerfettoTraceTests
{
    /// <summary>
    /// SHA-256 of the default scenario's trace (the bytes <c>shadowpt run --trace-out t.json</c> writes).
    /// It changes when the model, the default scenario or the trace format changes; after checking the new
    /// trace in ui.perfetto.dev, regenerate with:
    /// <c>dotnet run --project src/ShadowPt.Host -c Release -- run --trace-out t.json &amp;&amp; sha256sum t.json</c>.
    /// </summary>
    private const string DefaultTraceSha256 = "873c64bc1afc68a5f68ff43713167e150cc56fe4a150303d91ea8fde6c15a2ca";

    private static byte[] TraceBytes(RunRecording recording)
    {
        using var stream = new MemoryStream();
        PerfettoTrace.Write(recording, stream);
        return stream.ToArray();
    }

    [Fact]
    public void TheDefaultScenariosTraceParsesWithATrackPerCpuNestedSpansAndMatchedFlows()
    {
        (RunReport report, RunRecording recording) = VizScenarios.RecordDefault();
        using JsonDocument doc = JsonDocument.Parse(TraceBytes(recording));
        JsonElement[] events = [.. doc.RootElement.GetProperty("traceEvents").EnumerateArray()];
        string[] threads = [.. events.Where(e => e.GetProperty("ph").GetString() == "M" && e.GetProperty("name").GetString() == "thread_name")
            .Select(e => e.GetProperty("args").GetProperty("name").GetString()!)];
        Assert.Equal(["cpu0", "cpu1"], threads.Where(t => t.StartsWith("cpu", StringComparison.Ordinal)));
        Assert.Contains("inspector-2", threads);
        Assert.Contains("target-1", threads);
        Assert.Equal(threads.Length, threads.Distinct().Count());

        var stacks = new Dictionary<long, Stack<string>>();
        var lastTs = new Dictionary<long, long>();
        var flowStarts = new HashSet<long>();
        var flowEnds = new HashSet<long>();
        int spans = 0;
        foreach (JsonElement e in events.Where(e => e.GetProperty("ph").GetString() != "M"))
        {
            long tid = e.GetProperty("tid").GetInt64();
            long ts = e.GetProperty("ts").GetInt64();
            Assert.True(ts >= lastTs.GetValueOrDefault(tid), $"time goes back on track {tid} at {ts}");
            Assert.InRange(ts, 0, report.Steps);
            lastTs[tid] = ts;
            Stack<string> stack = stacks.TryGetValue(tid, out var s) ? s : stacks[tid] = new Stack<string>();
            switch (e.GetProperty("ph").GetString())
            {
                case "B":
                    stack.Push(e.GetProperty("name").GetString()!);
                    spans++;
                    break;
                case "E":
                    Assert.True(stack.Count > 0, $"an end without a begin on track {tid} at {ts}");
                    Assert.Equal(stack.Pop(), e.GetProperty("name").GetString());
                    break;
                case "s":
                    Assert.True(flowStarts.Add(e.GetProperty("id").GetInt64()));
                    break;
                case "f":
                    long id = e.GetProperty("id").GetInt64();
                    Assert.True(flowStarts.Contains(id) && flowEnds.Add(id), $"flow {id} ends before it starts or twice");
                    break;
                case "i":
                    break;
                default:
                    Assert.Fail("unexpected phase " + e.GetProperty("ph").GetString());
                    break;
            }
        }

        Assert.All(stacks, s => Assert.Empty(s.Value));
        Assert.True(spans > 100, $"only {spans} spans");
        string[] names = [.. events.Select(e => e.GetProperty("name").GetString()!)];
        foreach (string expected in new[] { "sys_mmap", "do_user_addr_fault", "mm1->mmap_lock (read)", "shadowpt_lock", "flush_tlb_mm_range", "request", "reply" })
        {
            Assert.Contains(expected, names);
        }

        Assert.Contains(names, n => n.StartsWith("shadowpt: write entry ", StringComparison.Ordinal));
        Assert.Contains(names, n => n.StartsWith("set_pte 0x", StringComparison.Ordinal));
        Assert.Contains(names, n => n.StartsWith("tlb_flush", StringComparison.Ordinal));
    }

    [Fact]
    public void TheDefaultScenariosTraceMatchesItsGoldenHashAndTheCommandLineWritesTheSameBytes()
    {
        (_, RunRecording recording) = VizScenarios.RecordDefault();
        byte[] bytes = TraceBytes(recording);
        Assert.Equal(DefaultTraceSha256, Convert.ToHexStringLower(SHA256.HashData(bytes)));

        using var dir = new TempDir();
        var run = CliRunner.Run("run", "--trace-out", dir.File("t.json"));
        Assert.Equal(0, run.Exit);
        Assert.Equal(bytes, File.ReadAllBytes(dir.File("t.json")));
    }

    /// <summary>No scenario file makes a CPU send a flush IPI (each mm runs on one CPU), so the events are raised here by hand.</summary>
    [Fact]
    public void AnIpiAndItsAcknowledgementBecomeTwoFlowsAroundTheHandlersSpan()
    {
        using var system = ShadowPt.Runtime.ActorSystem.CreateDeterministic("ipi", new ShadowPt.Runtime.Strategies.RandomStrategy(1));
        ShadowPt.Actors.Machine machine = ShadowPt.Actors.Machine.Boot(system, new ShadowPt.Kernel.MachineConfig { Cpus = 2, Frames = 64 });
        RunRecorder recorder = RunRecorder.Attach(system, machine);
        var cpu0 = new ShadowPt.Kernel.CpuId(0);
        var cpu1 = new ShadowPt.Kernel.CpuId(1);
        recorder.IpiSent(new ShadowPt.Kernel.IpiEvent(cpu0, cpu1, 5, new ShadowPt.Runtime.Ticks(2)));
        recorder.IpiReceived(new ShadowPt.Kernel.IpiEvent(cpu0, cpu1, 6, new ShadowPt.Runtime.Ticks(2)));
        recorder.IpiAcked(new ShadowPt.Kernel.IpiEvent(cpu0, cpu1, 7, new ShadowPt.Runtime.Ticks(2)));
        recorder.IpiAckReceived(new ShadowPt.Kernel.IpiEvent(cpu0, cpu1, 8, new ShadowPt.Runtime.Ticks(2)));
        RunRecording recording = recorder.Finish("ipi", 8, new ShadowPt.Runtime.Ticks(2));
        Assert.Equal(
            ["s IPI 0 5", "B flush_tlb_func 1 6", "f IPI 1 6", "i tlb_flush (remote) 1 6", "s ack 1 7", "E flush_tlb_func 1 7", "f ack 0 8"],
            recording.Events.Select(e => $"{"BEisf"[(int)e.Phase]} {e.Name} {e.Track} {e.Step}"));
        Assert.Equal(recording.Events[0].FlowId, recording.Events[2].FlowId);
        Assert.Equal(recording.Events[4].FlowId, recording.Events[6].FlowId);
        Assert.NotEqual(recording.Events[0].FlowId, recording.Events[4].FlowId);

        using JsonDocument doc = JsonDocument.Parse(TraceBytes(recording));
        string[] phases = [.. doc.RootElement.GetProperty("traceEvents").EnumerateArray().Where(e => e.TryGetProperty("cat", out _)).Select(e => e.GetProperty("ph").GetString()!)];
        Assert.Equal(["s", "B", "f", "i", "s", "E", "f"], phases);
        var log = new StringWriter();
        FtraceLog.Write(recording, log);
        Assert.Contains("        <idle>-0 [000] 2: ipi_send_cpu: target_cpus=1 callsite=flush_tlb_mm_range callback=flush_tlb_func", log.ToString(), StringComparison.Ordinal);
        Assert.Contains("        <idle>-0 [001] 2: ipi_exit: ack_to_cpu=0", log.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void AScenarioWithoutAMachineGetsATrackPerActorWithItsDeliveries()
    {
        (RunReport report, RunRecording recording) = RecordedRuns.Run(() => ScenarioCatalog.TryCreate("counter")!, new RunOptions());
        Assert.Equal(ScenarioRunner.Run(() => ScenarioCatalog.TryCreate("counter")!, new RunOptions()).TraceHash, report.TraceHash);
        Assert.Contains(recording.Tracks, t => t.Name == "/user/counter");
        Assert.Equal(report.Steps, recording.Events.Count(e => e.Category == "deliver"));
        using JsonDocument doc = JsonDocument.Parse(TraceBytes(recording));
        Assert.True(doc.RootElement.GetProperty("traceEvents").GetArrayLength() > report.Steps);
    }

    [Fact]
    public void SpansClosedOutOfOrderAreSplitSoTheyStillNest()
    {
        var timeline = new TrackTimeline();
        timeline.Begin("a", new RecordedEvent(1, 0, 0, 1, RecordedPhase.Begin, "lock", "A"));
        timeline.Begin("b", new RecordedEvent(2, 0, 0, 1, RecordedPhase.Begin, "lock", "B"));
        timeline.End(0, "a", 3, default);
        timeline.End(0, "b", 4, default);
        Assert.Equal(
            ["B A 1", "B B 2", "E B 3", "E A 3", "B B 3", "E B 4"],
            timeline.Events.Select(e => $"{(e.Phase == RecordedPhase.Begin ? "B" : "E")} {e.Name} {e.Step}"));
        Assert.Equal("true", timeline.Events[4].Field("continued"));
    }
}
