using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ShadowPt.Kernel;
using ShadowPt.Scenarios;

namespace ShadowPt.Stress;

/// <summary>
/// A stress world: a scenario file's processes and inspectors replicated to the requested counts,
/// spread over the requested CPUs, as a scenario file of its own (so a violating schedule of it replays
/// with <c>shadowpt replay</c> once the file is saved beside it).
/// </summary>
public static class StressWorld
{
    /// <summary>Most CPUs a stress machine has.</summary>
    public const int CpusMax = 64;

    /// <summary>Most target processes of a stress world.</summary>
    public const int ProcessesMax = 1000;

    /// <summary>Most inspectors of a stress world (they share the one shadow table the subsystem allows).</summary>
    public const int InspectorsMax = ScenarioFile.InspectorsMax;

    /// <summary>Longest scenario name a file may have (the stress world's name is cut to fit).</summary>
    public const int NameLengthMax = 48;

    /// <summary>Frames per replicated process when the template does not say more.</summary>
    public const int FramesPerProcess = 96;

    /// <summary>
    /// The default scenario (the spec's target and inspector) as a scenario file: the template when
    /// none is named.
    /// </summary>
    public const string DefaultTemplate = """
        {
          "name": "default",
          "description": "The default scenario as a template: a target that maps, writes, grows its stack, forks, unmaps and drops pages; an inspector printing the table",
          "seed": 7,
          "machine": { "cpus": 2, "frames": 1024 },
          "processes": [
            {
              "name": "target",
              "cpu": 0,
              "placement": { "stack": "0x10000000", "heap": "0x10002000" },
              "program": [
                { "op": "mmap", "label": "heap", "pages": 8 },
                { "op": "write", "label": "heap", "page": 0, "value": 65 },
                { "op": "write", "label": "heap", "page": 1, "value": 66, "think": 1 },
                { "op": "mmap", "label": "stack", "pages": 2, "flags": ["private", "anonymous", "growsdown"] },
                { "op": "write", "label": "stack", "page": 1, "value": 83, "think": 1 },
                { "op": "write", "label": "stack", "page": -1, "value": 84 },
                { "op": "write", "label": "stack", "page": -2, "value": 85, "think": 1 },
                { "op": "read", "label": "heap", "page": 5 },
                { "op": "fork", "child": "p1" },
                { "op": "write", "label": "heap", "page": 0, "value": 67, "process": "p1", "think": 1 },
                { "op": "write", "label": "heap", "page": 1, "value": 68 },
                { "op": "munmap", "label": "heap", "page": 3, "pages": 2, "think": 1 },
                { "op": "exit", "process": "p1", "think": 1 },
                { "op": "madvise-dontneed", "label": "heap", "page": 0, "pages": 1 },
                { "op": "write", "label": "heap", "page": 7, "value": 69, "think": 1 }
              ]
            }
          ],
          "inspectors": [
            { "name": "inspector", "cpu": 1, "target": "target", "start": "0x0fffe000", "end": "0x1000c000", "period": 1, "ticks": 10 }
          ]
        }
        """;

    /// <summary>
    /// Replicates <paramref name="template"/> (a scenario file's JSON) to <paramref name="processes"/>
    /// processes and <paramref name="inspectors"/> inspectors on <paramref name="cpus"/> CPUs: process i
    /// runs template process i mod n on CPU i mod cpus; inspector j watches the j-th replica of its
    /// template's target. Returns the new file's bytes (UTF-8 JSON).
    /// </summary>
    public static byte[] Build(ReadOnlySpan<byte> template, string source, int cpus, int processes, int inspectors)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(cpus, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(cpus, CpusMax);
        ArgumentOutOfRangeException.ThrowIfLessThan(processes, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(processes, ProcessesMax);
        ArgumentOutOfRangeException.ThrowIfNegative(inspectors);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(inspectors, InspectorsMax);
        ScenarioFile.Parse(template.ToArray(), source, null); // the template itself must be valid
        JsonObject root = JsonNode.Parse(template, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip })!.AsObject();
        JsonArray baseProcesses = root["processes"]!.AsArray();
        JsonArray baseInspectors = root["inspectors"]?.AsArray() ?? [];
        if (inspectors > 0 && baseInspectors.Count == 0)
        {
            throw new ScenarioFormatException($"{source}: has no inspector to replicate; use --inspectors 0");
        }

        string[] baseNames = [.. baseProcesses.Select(p => (string)p!["name"]!)];
        var processArray = new JsonArray();
        for (int i = 0; i < processes; i++)
        {
            JsonObject p = baseProcesses[i % baseProcesses.Count]!.DeepClone().AsObject();
            p["name"] = ReplicaName(baseNames[i % baseNames.Length], i);
            p["cpu"] = i % cpus;
            processArray.Add(p);
        }

        var inspectorArray = new JsonArray();
        for (int j = 0; j < inspectors; j++)
        {
            JsonObject d = baseInspectors[j % baseInspectors.Count]!.DeepClone().AsObject();
            int targetBase = Array.IndexOf(baseNames, (string)d["target"]!);
            int replica = targetBase + (baseNames.Length * j);
            int target = replica < processes ? replica : targetBase % processes;
            d["name"] = ReplicaName((string)d["name"]!, j);
            d["target"] = (string)processArray[target]!["name"]!;
            d["cpu"] = (processes + j) % cpus;
            inspectorArray.Add(d);
        }

        JsonObject machine = root["machine"]?.AsObject() ?? [];
        int baseFrames = machine["frames"] is JsonNode f ? (int)f : 4096;
        long frames = Math.Max(baseFrames, (long)FramesPerProcess * (processes + inspectors));
        machine["cpus"] = cpus;
        machine["frames"] = (int)Math.Min(frames, 1 << 22);
        root["machine"] = machine;
        root["processes"] = processArray;
        root["inspectors"] = inspectorArray;
        string name = (string)root["name"]!;
        string suffix = string.Create(CultureInfo.InvariantCulture, $"-{cpus}c{processes}p{inspectors}i");
        string stem = "stress-" + name;
        root["name"] = stem[..Math.Min(stem.Length, NameLengthMax - suffix.Length)] + suffix;
        root["description"] = string.Create(CultureInfo.InvariantCulture, $"Stress world from {name}: {processes} processes and {inspectors} inspectors on {cpus} CPUs");
        return Encoding.UTF8.GetBytes(root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    /// <summary>The definition of a built world, as <see cref="ScenarioFile.Load"/> will read it from <paramref name="path"/>.</summary>
    public static ScenarioDefinition Parse(byte[] json, string path)
    {
        ArgumentNullException.ThrowIfNull(json);
        string hash = Convert.ToHexStringLower(SHA256.HashData(json))[..16];
        return ScenarioFile.Parse(json, path, hash) with { SourcePath = Path.GetFullPath(path) };
    }

    private static string ReplicaName(string name, int index) =>
        index == 0 ? name : string.Create(CultureInfo.InvariantCulture, $"{name}-{index}");
}
