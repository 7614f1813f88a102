using System.Text.Json;
using ShadowPt.Kernel;
using ShadowPt.Kernel.Programs;

namespace ShadowPt.Scenarios;

/// <summary>The fault policy and NUMA parts of scenario files (Kernel/FaultPolicy, Kernel/Numa).</summary>
public static partial class ScenarioFile
{
    /// <summary><c>"faultPolicy": {"process": "target", "retriesMax": 3, "fill": 88}</c>; null when absent.</summary>
    private static FaultPolicyConfig? ParseFaultPolicy(JsonFields root, string source, IReadOnlyList<ProcessDefinition> processes)
    {
        JsonElement? element = root.Raw("faultPolicy");
        if (element is null)
        {
            return null;
        }

        var f = new JsonFields(element.Value, source, "$.faultPolicy");
        string process = f.Name("process", required: true)!;
        if (!processes.Any(p => p.Name == process))
        {
            throw f.Error(f.At("process"), $"names no process of the scenario (processes: {string.Join(", ", processes.Select(p => p.Name))})");
        }

        var config = new FaultPolicyConfig
        {
            Process = process,
            RetriesMax = f.Int("retriesMax", 0, FaultPolicyConfig.RetriesLimit, FaultPolicyConfig.RetriesDefault),
            Fill = (byte)f.Int("fill", 0, 255, FaultPolicyConfig.FillDefault),
        };
        f.Done();
        return config;
    }

    /// <summary><c>"numa": {"nodes": 2, "balancing": true, ...}</c> inside <c>machine</c>; null when absent.</summary>
    private static NumaConfig? ParseNuma(JsonFields machine, string source, int cpus)
    {
        JsonElement? element = machine.Raw("numa");
        if (element is null)
        {
            return null;
        }

        var n = new JsonFields(element.Value, source, "$.machine.numa");
        var config = new NumaConfig
        {
            Nodes = n.Int("nodes", 1, Math.Min(NumaConfig.NodesMax, cpus), 2),
            Balancing = n.Bool("balancing", true),
            ScanDelayMs = n.Int("scanDelayMs", 0, 3_600_000, 1000),
            ScanPeriodMinMs = n.Int("scanPeriodMinMs", 1, 3_600_000, 1000),
            ScanPeriodMaxMs = n.Int("scanPeriodMaxMs", 1, 3_600_000, 60000),
            RatelimitPages = n.Int("ratelimitPages", 0, 1 << 24, NumaConfig.RatelimitPagesDefault),
        };
        if (config.ScanPeriodMaxMs < config.ScanPeriodMinMs)
        {
            throw n.Error(n.At("scanPeriodMaxMs"), "must not be below scanPeriodMinMs");
        }

        n.Done();
        return config;
    }

    /// <summary><c>{"op": "set-mempolicy", "mode": "bind", "nodes": [0]}</c> or <c>"mode": "default"</c>.</summary>
    private static SetMempolicyStep ParseSetMempolicy(JsonFields s)
    {
        string mode = s.String("mode", required: true)!;
        IReadOnlyList<JsonElement> nodes = s.Array("nodes", NumaConfig.NodesMax);
        ulong mask = 0;
        for (int i = 0; i < nodes.Count; i++)
        {
            if (nodes[i].ValueKind != JsonValueKind.Number || !nodes[i].TryGetInt32(out int node) || node < 0 || node >= NumaConfig.NodesMax)
            {
                throw s.Error($"{s.At("nodes")}[{i}]", $"must be a node number 0..{NumaConfig.NodesMax - 1}");
            }

            mask |= 1UL << node;
        }

        return mode switch
        {
            "bind" when mask != 0 => new SetMempolicyStep(MemPolicyMode.Bind, mask),
            "default" when mask == 0 => new SetMempolicyStep(MemPolicyMode.Default, 0),
            "bind" or "default" => throw s.Error(s.At("nodes"), "bind needs at least one node; default takes none"),
            _ => throw s.Error(s.At("mode"), "must be one of: bind, default"),
        };
    }
}
