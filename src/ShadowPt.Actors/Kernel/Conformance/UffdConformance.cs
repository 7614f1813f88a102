using System.Globalization;
using System.Reflection;
using ShadowPt.Kernel.Programs;
using ShadowPt.Runtime;
using ShadowPt.Scenarios;
using ShadowPt.Scenarios.BuiltIn;

namespace ShadowPt.Kernel.Conformance;

/// <summary>What the userfaultfd conformance check found.</summary>
/// <param name="Supported">False when userfaultfd cannot be used on this machine.</param>
/// <param name="Reason">Why not, as the native program said.</param>
/// <param name="Linux">Facts the real kernel showed, one a line.</param>
/// <param name="Simulator">Facts the simulator showed.</param>
public sealed record UffdConformanceResult(bool Supported, string Reason, IReadOnlyList<string> Linux, IReadOnlyList<string> Simulator)
{
    /// <summary>Facts that differ, as <c>linux: … | simulator: …</c>.</summary>
    public IReadOnlyList<string> Differences =>
        Linux.Zip(Simulator).Where(p => p.First != p.Second).Select(p => $"linux: {p.First} | simulator: {p.Second}")
            .Concat(Linux.Count == Simulator.Count ? [] : [$"linux has {Linux.Count} facts, the simulator {Simulator.Count}"]).ToArray();

    public bool Agrees => Supported && Differences.Count == 0;

    /// <summary>One line for the conformance command.</summary>
    public string Describe() => !Supported
        ? $"{UffdConformance.Name}: unsupported here: {Reason}"
        : Agrees ? $"{UffdConformance.Name}: agree ({Linux.Count} facts)"
        : $"{UffdConformance.Name}: differ\n  " + string.Join("\n  ", Differences);
}

/// <summary>
/// Conformance of userfaultfd MISSING faults: a target reads two pages of a registered mapping while
/// a monitor resolves the first with UFFDIO_COPY and the second with UFFDIO_ZEROPAGE, then copies onto
/// the first again. Natively the monitor is a thread of the C program (<c>UffdNative.c</c>); in the
/// simulator it is a separate process holding the descriptor (the model has one task per mm). Facts:
/// the messages, the bytes read, the fault counts of the reads, pagemap present/exclusive, and the
/// second copy's -EEXIST.
/// </summary>
public static class UffdConformance
{
    public const string Name = "userfaultfd-missing-copy-zeropage";

    public const string Description = "MISSING faults resolved by a monitor with UFFDIO_COPY and UFFDIO_ZEROPAGE; a second copy is -EEXIST";

    /// <summary>The byte the copied page starts with (byte i is FILL + i).</summary>
    public const byte Fill = 0x30;

    /// <summary>The C program.</summary>
    public static string NativeSource { get; } = LoadSource();

    /// <summary>Compiles and runs the native program, runs the simulator, and compares.</summary>
    public static UffdConformanceResult Run(NativeRunnerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        IReadOnlyList<string> linux = RunNative(options);
        if (linux.Count > 0 && linux[0].StartsWith("supported: no", StringComparison.Ordinal))
        {
            return new UffdConformanceResult(false, linux[0]["supported: no ".Length..], linux, []);
        }

        return new UffdConformanceResult(true, string.Empty, linux.Skip(1).ToArray(), RunSimulator(1));
    }

    /// <summary>The native facts, the <c>supported:</c> line first.</summary>
    public static IReadOnlyList<string> RunNative(NativeRunnerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        DirectoryInfo dir = Directory.CreateTempSubdirectory("shadowpt-uffd-");
        try
        {
            string source = Path.Combine(dir.FullName, "uffd.c");
            string binary = Path.Combine(dir.FullName, "uffd");
            File.WriteAllText(source, NativeSource);
            (int cc, string ccOut, string ccErr) = NativeRunner.RunProcess(
                options.CompilerPath, ["-std=gnu11", "-O2", "-Wall", "-pthread", "-o", binary, source], [], options.CompileTimeout, "compiling the userfaultfd program");
            if (cc != 0)
            {
                throw new NativeRunnerException($"{options.CompilerPath} failed to compile the userfaultfd program (exit {cc}):\n{ccOut}{ccErr}");
            }

            (int exit, string stdout, string stderr) = NativeRunner.RunProcess(binary, [], [], options.RunTimeout, "running the userfaultfd program");
            string[] lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            if (exit != 0 || lines.Length == 0 || !lines[0].StartsWith("supported: ", StringComparison.Ordinal))
            {
                throw new NativeRunnerException($"the userfaultfd program failed (exit {exit}): {stdout}{stderr}");
            }

            return lines;
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>The program the simulator runs: the target p0 and its monitor p1 on another CPU.</summary>
    public static ProcessProgram Program() =>
        new ProgramBuilder("uffd-conformance", Description)
            .Mmap("a", 2)
            .Fork(out ProcessId monitor)
            .Userfaultfd()
            .UffdRegister("a", 0, 2, UffdRegisterMode.Missing)
            .UffdSend(monitor)
            .UffdRecv(monitor)
            .UffdServe(1, UffdResolve.Copy, Fill, by: monitor)
            .UffdServe(1, UffdResolve.Zeropage, by: monitor)
            .UffdCopy("a", 0, 1, Fill, by: monitor)
            .Read("a", 0)
            .Read("a", 1)
            .Build();

    /// <summary>The simulator's facts, in the native program's order and words.</summary>
    public static IReadOnlyList<string> RunSimulator(ulong seed)
    {
        var a = new VirtAddr(0x20000000);
        var scenario = new ShadowPtScenario(new ScenarioDefinition
        {
            Name = Name,
            Description = Description,
            Machine = new MachineConfig { Cpus = 2, Frames = 512 },
            Processes = [new ProcessDefinition("target", 0, false, Program(), new Dictionary<string, VirtAddr>(StringComparer.Ordinal) { ["a"] = a }, false)],
            Inspectors = [],
            Monitors = [() => new Checking.UserfaultResolvedMonitor()],
        });
        RunReport report = ScenarioRunner.Run(() => scenario, new RunOptions { Seed = seed, StepsMax = 100_000 });
        if (report.Violation is { } v)
        {
            throw new InvalidOperationException($"{Name} ended with {v.Kind} in the simulator: {v.Message}");
        }

        KernelState s = scenario.Machine!.State;
        MmStruct mm = s.Task(1).Mm!;
        var facts = new List<string>();
        var page = new byte[PageGeometry.PageSize];
        for (int i = 0; i < 2; i++)
        {
            facts.Add(Fact($"read {i}: 0x{Byte(s, mm, a + ((ulong)i * PageGeometry.PageSize), 0):x2}"));
        }

        facts.Add(Fact($"faults: minflt {mm.MinFlt} majflt {mm.MajFlt}"));
        UffdState u = s.Extension<UffdState>();
        UffdMsg[] read = [.. u.Contexts[0].ReadLog];
        for (int i = 0; i < read.Length; i++)
        {
            facts.Add(Fact($"msg {i}: page {(read[i].Address - a) / PageGeometry.PageSize} flags {(int)read[i].Flags}"));
        }

        ulong[] entries = Pagemap.Read(mm, s.Frames, a, 2);
        for (int i = 0; i < 2; i++)
        {
            bool present = (entries[i] & (1UL << 63)) != 0;
            bool exclusive = (entries[i] & Pagemap.MmapExclusive) != 0;
            facts.Add(Fact($"page {i}: {(present ? "present" : "absent")} {(exclusive ? "exclusive" : "shared")}"));
        }

        for (int i = 0; i < 2; i++)
        {
            facts.Add(Fact($"byte {i}+100: 0x{Byte(s, mm, a + ((ulong)i * PageGeometry.PageSize), 100):x2}"));
        }

        facts.Add(Fact($"copy-again: {u.IoctlLog.Last(l => l.Call == "UFFDIO_COPY").Ret}"));
        return facts;
    }

    private static string Fact(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static byte Byte(KernelState s, MmStruct mm, VirtAddr page, int offset)
    {
        Pte pte = mm.Pgd.GetPte(page);
        Span<byte> one = stackalloc byte[1];
        s.Frames.ReadBytes(pte.Pfn, offset, one, new Provenance(0, "conformance"));
        return one[0];
    }

    private static string LoadSource()
    {
        using Stream stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("ShadowPt.Kernel.Conformance.UffdNative.c")
            ?? throw new InvalidOperationException("the userfaultfd conformance program is not embedded");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
