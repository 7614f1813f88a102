using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using ShadowPt.Actors;
using ShadowPt.Kernel;
using ShadowPt.Kernel.Programs;

namespace ShadowPt.Scenarios;

/// <summary>
/// Scenario files (JSON, see config/scenarios): the machine, the processes and their programs, the
/// inspectors, defaults and checks. Untrusted: sizes are bounded, unknown fields and bad values are
/// rejected with the file, the JSON path and the reason; nothing in a file can crash the simulator.
/// </summary>
public static partial class ScenarioFile
{
    /// <summary>Largest scenario file read.</summary>
    public const long FileBytesMax = 1 << 20;

    public const int ProcessesMax = 1000;

    public const int InspectorsMax = 8;

    /// <summary>Nesting of repeat blocks.</summary>
    public const int RepeatDepthMax = 4;

    /// <summary>Known bug variants a scenario may switch on.</summary>
    public static readonly IReadOnlyList<string> VariantNames =
    [
        Spt.Variants.ShadowUpdateAtInvalidateStart, Spt.Variants.ShadowUpdateWithoutLock, Spt.Variants.StackGrowthUntracked,
        Spt.Variants.InspectorExitLeaks, Spt.Variants.CloseFreesBeforeZap, Spt.Variants.UnregisterWithoutSync, Spt.Variants.StopKeepsNotifier, Spt.Variants.AbbaMmapShadow,
        Kernel.Syscalls.FreeBeforeShootdownVariant, Kernel.KernelContext.PartialFlushAfterMissedFlushVariant, Spt.Variants.TornShadowEntry, Kernel.GetUserPages.DirtyCowVariant,
        Kernel.SoftDirty.ClearRefsNoFlushVariant,
    ];

    public static ScenarioDefinition Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new ScenarioFormatException($"{path}: no such scenario file");
        }

        if (info.Length > FileBytesMax)
        {
            throw new ScenarioFormatException($"{path}: {info.Length} bytes is larger than the {FileBytesMax}-byte limit for scenario files");
        }

        byte[] bytes = File.ReadAllBytes(path);
        string hash = Convert.ToHexStringLower(SHA256.HashData(bytes))[..16];
        return Parse(bytes, path, hash) with { SourcePath = Path.GetFullPath(path) };
    }

    public static ScenarioDefinition Parse(ReadOnlyMemory<byte> json, string source, string? contentHash)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 32, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException e)
        {
            throw new ScenarioFormatException($"{source}: not valid JSON: {e.Message}", e);
        }

        using (document)
        {
            return ParseRoot(new JsonFields(document.RootElement, source, "$"), source, contentHash);
        }
    }

    private static ScenarioDefinition ParseRoot(JsonFields root, string source, string? contentHash)
    {
        string name = root.Name("name", required: true)!;
        string description = root.String("description") ?? "(no description)";
        ulong seed = (ulong)root.Long("seed", 0, long.MaxValue, 1);
        string? strategy = root.String("strategy");
        if (strategy is not null && !RunOptions.StrategyNames.Contains(strategy))
        {
            throw root.Error(root.At("strategy"), $"must be one of: {string.Join(", ", RunOptions.StrategyNames)}");
        }

        long? stepsMax = root.Has("stepsMax") ? root.Long("stepsMax", 1, 1_000_000_000, 0) : null;
        IReadOnlyList<string> variants = root.Words("variants", VariantNames);
        IReadOnlyList<string> checks = root.Has("checks") ? root.Words("checks", [.. ScenarioDefinition.CheckNames]) : ScenarioDefinition.CheckNames;
        MachineConfig machine = ParseMachine(root, source, variants);
        var files = new List<FileDefinition>();
        IReadOnlyList<JsonElement> fileElements = root.Array("files", Kernel.KernelState.FilesMax);
        for (int i = 0; i < fileElements.Count; i++)
        {
            var f = new JsonFields(fileElements[i], source, $"$.files[{i}]");
            string path = f.String("path", required: true)!;
            if (!path.StartsWith('/') || path.Length > 128 || path.Any(c => c is ' ' or '\\'))
            {
                throw f.Error(f.At("path"), "must be an absolute path of at most 128 characters, without spaces");
            }

            files.Add(new FileDefinition(path, f.RequiredInt("pages", 1, 1 << 16), (byte)f.Int("fill", 0, 255, 0), f.Bool("writable", true)));
            f.Done();
        }

        DuplicateCheck(root, "files", files.Select(f => f.Path));
        var processes = new List<ProcessDefinition>();
        IReadOnlyList<JsonElement> processElements = root.Array("processes", ProcessesMax, required: true);
        for (int i = 0; i < processElements.Count; i++)
        {
            processes.Add(ParseProcess(new JsonFields(processElements[i], source, $"$.processes[{i}]"), machine));
        }

        DuplicateCheck(root, "processes", processes.Select(p => p.Name));
        var inspectors = new List<InspectorDefinition>();
        IReadOnlyList<JsonElement> inspectorElements = root.Array("inspectors", InspectorsMax);
        for (int i = 0; i < inspectorElements.Count; i++)
        {
            inspectors.Add(ParseInspector(new JsonFields(inspectorElements[i], source, $"$.inspectors[{i}]"), machine, processes));
        }

        DuplicateCheck(root, "inspectors", inspectors.Select(p => p.Name).Concat(processes.Select(p => p.Name)));
        machine = machine with { FaultPolicy = ParseFaultPolicy(root, source, processes) };
        root.Done();
        return new ScenarioDefinition
        {
            Name = name, Description = description, Seed = seed, Strategy = strategy, StepsMax = stepsMax, Machine = machine,
            Files = files, Processes = processes, Inspectors = inspectors, Checks = new HashSet<string>(checks, StringComparer.Ordinal), ContentHash = contentHash,
            Monitors = UsesUffd(processes) ? [() => new Checking.UserfaultResolvedMonitor()] : [],
        };
    }

    private static MachineConfig ParseMachine(JsonFields root, string source, IReadOnlyList<string> variants)
    {
        JsonElement? element = root.Raw("machine");
        if (element is null)
        {
            return new MachineConfig { Variants = new HashSet<string>(variants, StringComparer.Ordinal) };
        }

        var m = new JsonFields(element.Value, source, "$.machine");
        var config = new MachineConfig
        {
            Cpus = m.Int("cpus", 1, MachineConfig.CpusMax, 2),
            Frames = m.Int("frames", 64, 1 << 22, 4096),
            TlbEntries = m.Int("tlbEntries", 1, Tlb.CapacityMax, 64),
            Numa = ParseNuma(m, source, m.Int("cpus", 1, MachineConfig.CpusMax, 2)),
            SwapSlots = m.Int("swapSlots", 0, MachineConfig.SwapSlotsMax, 0),
            MemSoftDirty = m.Bool("memSoftDirty", false),
            Variants = new HashSet<string>(variants, StringComparer.Ordinal),
        };
        m.Done();
        return config;
    }

    private static ProcessDefinition ParseProcess(JsonFields p, MachineConfig machine)
    {
        string name = p.Name("name", required: true)!;
        int cpu = p.Int("cpu", 0, machine.Cpus - 1, 0);
        bool superuser = p.Bool("superuser", false);
        bool exitAtEnd = p.Bool("exitAtEnd", false);
        var placement = new Dictionary<string, VirtAddr>(StringComparer.Ordinal);
        if (p.Raw("placement") is JsonElement place)
        {
            var fields = new JsonFields(place, p.Source, p.At("placement"));
            foreach (JsonProperty property in place.EnumerateObject().Take(ProgramLimits.LabelsMax + 1))
            {
                if (placement.Count == ProgramLimits.LabelsMax)
                {
                    throw p.Error(p.At("placement"), $"at most {ProgramLimits.LabelsMax} labels");
                }

                placement[property.Name] = new VirtAddr(fields.Address(property.Name, PageGeometry.TaskSizeMax));
            }
        }

        var steps = new List<ProgramStep>();
        var builder = new StepReader(p);
        builder.ReadSteps(p.Array("program", ProgramLimits.StepsMax, required: true), p.At("program"), steps, 0);
        p.Done();
        ProcessProgram program;
        try
        {
            program = ProcessProgram.Create(name, $"program of {name}", steps);
        }
        catch (ProgramValidationException e)
        {
            throw p.Error(p.At("program"), e.Message);
        }

        foreach (string label in placement.Keys)
        {
            if (!program.Labels.Contains(label))
            {
                throw p.Error(p.At("placement"), $"places label '{label}', which the program never maps");
            }
        }

        return new ProcessDefinition(name, cpu, superuser, program, placement, exitAtEnd);
    }

    private static InspectorDefinition ParseInspector(JsonFields i, MachineConfig machine, IReadOnlyList<ProcessDefinition> processes)
    {
        string name = i.Name("name", required: true)!;
        string target = i.Name("target", required: true)!;
        if (!processes.Any(p => p.Name == target))
        {
            throw i.Error(i.At("target"), $"names no process of this scenario: '{target}'");
        }

        ulong start = i.Address("start", PageGeometry.TaskSizeMax);
        ulong end = i.Address("end", PageGeometry.TaskSizeMax + 1);
        string ending = i.String("ending") ?? "close";
        if (ending is not ("close" or "exit"))
        {
            throw i.Error(i.At("ending"), "must be close or exit");
        }

        var inspector = new InspectorDefinition(
            name,
            i.Int("cpu", 0, machine.Cpus - 1, machine.Cpus > 1 ? 1 : 0),
            target,
            start,
            end,
            i.Long("period", 1, 1_000_000, 1),
            i.Int("ticks", 0, InspectorSpec.TicksMax, 8),
            ending == "close" ? InspectorEnding.Close : InspectorEnding.ExitWithoutClose,
            i.Has("exitAfterOperations") ? i.Int("exitAfterOperations", 0, 1_000_000, 0) : null,
            i.Bool("superuser", true));
        i.Done();
        return inspector;
    }

    private static void DuplicateCheck(JsonFields root, string field, IEnumerable<string> names)
    {
        string? duplicate = names.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1)?.Key;
        if (duplicate is not null)
        {
            throw root.Error(root.At(field), $"the name '{duplicate}' is used twice");
        }
    }
}
