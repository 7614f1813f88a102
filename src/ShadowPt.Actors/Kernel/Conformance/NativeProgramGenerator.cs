using System.Collections.Immutable;
using System.Globalization;
using System.Reflection;
using System.Text;
using ShadowPt.Kernel.Programs;

namespace ShadowPt.Kernel.Conformance;

/// <summary>
/// Turns a process program into the C source of a native program: the fixed runtime
/// (<c>NativeRuntime.c</c>) with the program's tables in place of its TABLES marker.
/// </summary>
/// <remarks>
/// Nothing from the program reaches the source as it is: numbers are formatted here, flags become
/// fixed C names, and a label becomes the identifier <c>LBL_label</c> only after passing the label
/// whitelist again (<see cref="LabelIdentifier"/>), whatever validation happened before.
/// </remarks>
public static class NativeProgramGenerator
{
    /// <summary>The line of the runtime that the tables replace.</summary>
    internal const string TablesMarker = "/* @@TABLES@@ */";

    /// <summary>Name of the embedded runtime.</summary>
    private const string RuntimeResource = "ShadowPt.Kernel.Conformance.NativeRuntime.c";

    /// <summary>The runtime's source, loaded once.</summary>
    private static readonly Lazy<string> Runtime = new(LoadRuntime);

    /// <summary>The complete C source for <paramref name="program"/>.</summary>
    public static string Generate(ProcessProgram program)
    {
        ArgumentNullException.ThrowIfNull(program);
        string runtime = Runtime.Value;
        int marker = runtime.IndexOf(TablesMarker, StringComparison.Ordinal);
        return string.Concat(runtime.AsSpan(0, marker), Tables(program), runtime.AsSpan(marker + TablesMarker.Length));
    }

    /// <summary>The C identifier of a label; throws <see cref="ArgumentException"/> for anything off the whitelist.</summary>
    internal static string LabelIdentifier(string label)
    {
        if (!ProgramNames.IsValidLabel(label))
        {
            throw new ArgumentException($"label '{label}' cannot become a C identifier", nameof(label));
        }

        return "LBL_" + label;
    }

    /// <summary>The tables of <paramref name="program"/> as C declarations.</summary>
    internal static string Tables(ProcessProgram program)
    {
        if (!ProgramNames.IsValidProgramName(program.Name))
        {
            throw new ArgumentException($"program name '{program.Name}' cannot appear in C source", nameof(program));
        }

        ImmutableArray<ProgramTurn> turns = ProgramTurn.Of(program);
        var c = new StringBuilder(4096);
        c.Append("/* tables of program ").Append(program.Name).Append(", made by NativeProgramGenerator */\n");
        Define(c, "PROC_MAX", ProgramLimits.ProcessesMax);
        Define(c, "LABEL_COUNT", program.Labels.Length);
        Define(c, "STEP_COUNT", program.Steps.Length);
        Define(c, "TURN_COUNT", turns.Length);
        c.Append("#define SLOT_STRIDE_BYTES ").Append(Long(LabelLayout.SlotStrideBytes)).Append('\n');
        c.Append("#define SLOT_BASE_OFFSET_BYTES ").Append(Long(LabelLayout.SlotBaseOffsetBytes)).Append('\n');

        c.Append("enum label_id {");
        for (int i = 0; i < program.Labels.Length; i++)
        {
            c.Append(' ').Append(LabelIdentifier(program.Labels[i])).Append(" = ").Append(Int(i)).Append(',');
        }

        c.Append(" LBL_END_ };\n");
        c.Append("static const long LABEL_LO[LABEL_COUNT + 1] = {");
        AppendRanges(c, program, r => r.Low);
        c.Append("static const long LABEL_HI[LABEL_COUNT + 1] = {");
        AppendRanges(c, program, r => r.High);

        c.Append("static const struct op OPS[STEP_COUNT] = {\n");
        foreach (ProgramStep step in program.Steps)
        {
            c.Append("\t").Append(Op(step)).Append(",\n");
        }

        c.Append("};\nstatic const struct turn TURNS[TURN_COUNT] = {\n");
        foreach (ProgramTurn turn in turns)
        {
            c.Append("\t{ ").Append(Int(turn.StepIndex)).Append(", ").Append(Int(turn.Process.Value))
                .Append(", ").Append(turn.Observe ? "1" : "0").Append(", ")
                .Append(turn.LabelMask.ToString(CultureInfo.InvariantCulture)).Append("u },\n");
        }

        c.Append("};\n");
        return c.ToString();
    }

    private static void AppendRanges(StringBuilder c, ProcessProgram program, Func<PageRange, int> bound)
    {
        foreach (string label in program.Labels)
        {
            c.Append(' ').Append(Long(bound(program.ObservedPages(label)))).Append(',');
        }

        c.Append(" 0L };\n");
    }

    /// <summary>
    /// One <c>struct op</c> initializer: kind, proc, label, child, offset_pages, pages, prot, flags, value.
    /// </summary>
    private static string Op(ProgramStep step)
    {
        string proc = Int(step.Process.Value);
        return step switch
        {
            MmapStep { File: not null } => throw new ArgumentException("file mappings have no C form in the conformance runtime", nameof(step)),
            MmapStep s => Row("OP_MMAP", proc, s, 0, ProtC(s.Prot), FlagsC(s.Flags), 0),
            MunmapStep s => Row("OP_MUNMAP", proc, s, 0, "PROT_NONE", "0", 0),
            MprotectStep s => Row("OP_MPROTECT", proc, s, 0, ProtC(s.Prot), "0", 0),
            ReadStep s => Row("OP_READ", proc, s, 0, "PROT_NONE", "0", 0),
            WriteStep s => Row("OP_WRITE", proc, s, 0, "PROT_NONE", "0", s.Value),
            MadviseDontneedStep s => Row("OP_DONTNEED", proc, s, 0, "PROT_NONE", "0", 0),
            MlockStep s => Row("OP_MLOCK", proc, s, 0, "PROT_NONE", "0", 0),
            MunlockStep s => Row("OP_MUNLOCK", proc, s, 0, "PROT_NONE", "0", 0),
            MadvisePageoutStep s => Row("OP_PAGEOUT", proc, s, 0, "PROT_NONE", "0", 0),
            ClearRefsStep { Target: null } => Row("OP_CLEAR_REFS", proc, null, 0, "PROT_NONE", "0", 0),
            ForkStep s => Row("OP_FORK", proc, null, s.Child.Value, "PROT_NONE", "0", 0),
            ExitStep => Row("OP_EXIT", proc, null, 0, "PROT_NONE", "0", 0),
            _ => throw new ArgumentException($"no C form for step type {step.GetType().Name}", nameof(step)),
        };
    }

    private static string Row(string kind, string proc, LabelStep? s, int child, string prot, string flags, byte value)
    {
        string label = s is null ? "0" : LabelIdentifier(s.Label);
        string offset = Long(s?.PageOffset ?? 0);
        string pages = Long(s?.Pages ?? 0);
        string hex = "0x" + value.ToString("x2", CultureInfo.InvariantCulture);
        return $"{{ {kind}, {proc}, {label}, {Int(child)}, {offset}, {pages}, {prot}, {flags}, {hex} }}";
    }

    private static string ProtC(Prot prot)
    {
        var names = new List<string>(3);
        if ((prot & Prot.Read) != 0)
        {
            names.Add("PROT_READ");
        }

        if ((prot & Prot.Write) != 0)
        {
            names.Add("PROT_WRITE");
        }

        if ((prot & Prot.Exec) != 0)
        {
            names.Add("PROT_EXEC");
        }

        return names.Count == 0 ? "PROT_NONE" : string.Join('|', names);
    }

    private static string FlagsC(MapFlags flags)
    {
        var names = new List<string>(4);
        if ((flags & MapFlags.Private) != 0)
        {
            names.Add("MAP_PRIVATE");
        }

        if ((flags & MapFlags.Shared) != 0)
        {
            names.Add("MAP_SHARED");
        }

        if ((flags & MapFlags.Anonymous) != 0)
        {
            names.Add("MAP_ANONYMOUS");
        }

        if ((flags & MapFlags.GrowsDown) != 0)
        {
            names.Add("MAP_GROWSDOWN");
        }

        return names.Count == 0 ? "0" : string.Join('|', names);
    }

    private static void Define(StringBuilder c, string name, int value) =>
        c.Append("#define ").Append(name).Append(' ').Append(Int(value)).Append('\n');

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Long(long value) => value.ToString(CultureInfo.InvariantCulture) + "L";

    private static string LoadRuntime()
    {
        using Stream stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(RuntimeResource)
            ?? throw new InvalidOperationException($"embedded resource {RuntimeResource} is missing");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        string text = reader.ReadToEnd();
        int first = text.IndexOf(TablesMarker, StringComparison.Ordinal);
        if (first < 0 || text.IndexOf(TablesMarker, first + 1, StringComparison.Ordinal) >= 0)
        {
            throw new InvalidOperationException($"{RuntimeResource} must contain {TablesMarker} exactly once");
        }

        return text;
    }
}
