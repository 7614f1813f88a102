using System.Globalization;
using ShadowPt.Kernel.Programs;

namespace ShadowPt.Kernel.Conformance;

/// <summary>
/// Reads what a native program printed and records it as observations. One fact a line:
/// <c>H version pagesize</c>, <c>L label addr</c>; per observation <c>S step proc</c>, the
/// executor's <c>F faults|-</c>, <c>G signal</c>, <c>R byte|-1</c>, <c>E errno</c>, then
/// <c>V label start end perms</c> and <c>P label offset pagemap-entry</c>, closed by <c>Z</c>;
/// finally <c>D</c>. <c>X proc what detail</c> reports a failure. Numbers in hex are addresses.
/// </summary>
internal sealed class NativeOutputParser
{
    /// <summary>Lines an output may have.</summary>
    internal const int LinesMax = 200_000;

    /// <summary>The protocol version the runtime prints in its H line.</summary>
    private const int ProtocolVersion = 1;

    /// <summary>pagemap bit 63: page present.</summary>
    private const ulong PmPresent = 1UL << 63;

    /// <summary>pagemap bit 62: page swapped.</summary>
    private const ulong PmSwap = 1UL << 62;

    /// <summary>pagemap bit 56: page exclusively mapped.</summary>
    private const ulong PmMmapExclusive = 1UL << 56;

    /// <summary>pagemap bits 0-54: the pfn when present.</summary>
    private const ulong PmPfnMask = (1UL << 55) - 1;

    /// <summary>SIGSEGV on Linux.</summary>
    private const int SigSegv = 11;

    /// <summary>The program that ran.</summary>
    private readonly ProcessProgram program;

    /// <summary>Collects the facts.</summary>
    private readonly ObservationRecorder recorder;

    /// <summary>Address of each label by definition index; null until its L line.</summary>
    private readonly long?[] labelAddress;

    /// <summary>The observation being read, between S and Z.</summary>
    private Block? block;

    /// <summary>Line number for messages, 1-based.</summary>
    private int lineNumber;

    private NativeOutputParser(ProcessProgram program, string source)
    {
        this.program = program;
        recorder = new ObservationRecorder(program, source);
        labelAddress = new long?[program.Labels.Length];
    }

    /// <summary>Parses <paramref name="output"/>; throws <see cref="NativeRunnerException"/> when it is malformed or reports a failure.</summary>
    internal static ProgramObservations Parse(ProcessProgram program, string output, string source)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(output);
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length > LinesMax)
        {
            throw new NativeRunnerException($"native output of '{program.Name}' has {lines.Length} lines, more than {LinesMax}");
        }

        string? failure = lines.FirstOrDefault(l => l.StartsWith("X ", StringComparison.Ordinal));
        if (failure is not null)
        {
            throw new NativeRunnerException($"native program '{program.Name}' failed: {failure[2..]}");
        }

        var parser = new NativeOutputParser(program, source);
        bool done = false;
        foreach (string line in lines)
        {
            parser.lineNumber++;
            if (done)
            {
                throw parser.Malformed(line, "output continues after D");
            }

            done = parser.ParseLine(line);
        }

        if (!done)
        {
            throw new NativeRunnerException($"native output of '{program.Name}' ends without D: the program stopped early");
        }

        try
        {
            return parser.recorder.Build();
        }
        catch (InvalidOperationException e)
        {
            throw new NativeRunnerException($"native output of '{program.Name}' is incomplete: {e.Message}", e);
        }
    }

    /// <summary>Handles one line; true for the final D.</summary>
    private bool ParseLine(string line)
    {
        string[] f = line.Split(' ');
        switch (f[0])
        {
            case "H" when f.Length == 3:
                if (Int(f[1], line) != ProtocolVersion || Int(f[2], line) != LabelLayout.PageBytes)
                {
                    throw Malformed(line, "unexpected protocol version or page size");
                }

                return false;
            case "L" when f.Length == 3:
                labelAddress[LabelIndex(f[1], line)] = (long)Hex(f[2], line);
                return false;
            case "S" when f.Length == 3:
                if (block is not null)
                {
                    throw Malformed(line, "observation not closed by Z");
                }

                block = new Block(Int(f[1], line), new ProcessId(Int(f[2], line)));
                if (block.Step < 0 || block.Step >= program.Steps.Length)
                {
                    throw Malformed(line, "no such step");
                }

                return false;
            case "D" when f.Length == 1:
                if (block is not null)
                {
                    throw Malformed(line, "observation not closed by Z");
                }

                return true;
            default:
                ParseBlockLine(f, line);
                return false;
        }
    }

    private void ParseBlockLine(string[] f, string line)
    {
        Block b = block ?? throw Malformed(line, "fact outside an observation");
        switch (f[0])
        {
            case "F" when f.Length == 2:
                b.Faults = f[1] == "-" ? null : Int(f[1], line);
                b.HasOutcome = true;
                break;
            case "G" when f.Length == 2:
                b.Signal = Int(f[1], line);
                break;
            case "R" when f.Length == 2:
                b.Value = Int(f[1], line);
                break;
            case "E" when f.Length == 2:
                b.Errno = Int(f[1], line);
                break;
            case "V" when f.Length == 5:
                Begin(b, line);
                (string label, long address) = Label(f[1], line);
                recorder.AddVma(label, RelativePage((long)Hex(f[2], line), address, line), RelativePage((long)Hex(f[3], line), address, line), f[4]);
                break;
            case "P" when f.Length == 4:
                Begin(b, line);
                AddPage(Label(f[1], line).Name, Int(f[2], line), Hex(f[3], line), line);
                break;
            case "Z" when f.Length == 1:
                Begin(b, line);
                block = null;
                break;
            default:
                throw Malformed(line, "unknown line");
        }
    }

    /// <summary>Starts the recorder's observation once the block's outcome lines are read.</summary>
    private void Begin(Block b, string line)
    {
        if (b.Begun)
        {
            return;
        }

        b.Begun = true;
        StepOutcome? outcome = b.HasOutcome ? Outcome(b, line) : null;
        try
        {
            recorder.BeginObservation(b.Step, b.Process, outcome);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            throw Malformed(line, e.Message);
        }
    }

    private StepOutcome Outcome(Block b, string line)
    {
        if (b.Signal is not (0 or SigSegv))
        {
            throw new NativeRunnerException(
                $"native program '{program.Name}' step {b.Step} raised signal {b.Signal}, which observations cannot express");
        }

        bool isRead = program.Steps[b.Step] is ReadStep;
        if (b.Value is < -1 or > 255 || (!isRead && b.Value != -1) || b.Errno is < 0 or null)
        {
            throw Malformed(line, "bad outcome");
        }

        byte? value = isRead && b.Value >= 0 ? (byte)b.Value : null;
        return new StepOutcome(b.Faults, b.Signal == SigSegv, value, b.Errno.Value);
    }

    private void AddPage(string label, int pageOffset, ulong entry, string line)
    {
        bool present = (entry & PmPresent) != 0;
        if ((entry & PmSwap) != 0)
        {
            throw new NativeRunnerException($"native program '{program.Name}': page {label}{pageOffset:+0;-0} was swapped out during the run");
        }

        ulong pfn = present ? entry & PmPfnMask : 0;
        if (present && pfn == 0)
        {
            throw new NativeRunnerException(
                "/proc/self/pagemap hides page frame numbers: the native runner needs CAP_SYS_ADMIN (run it as root)");
        }

        try
        {
            recorder.AddPage(label, pageOffset, present, (entry & PmMmapExclusive) != 0, pfn);
        }
        catch (ArgumentException e)
        {
            throw Malformed(line, e.Message);
        }
    }

    private (string Name, long Address) Label(string text, string line)
    {
        int index = LabelIndex(text, line);
        long address = labelAddress[index] ?? throw Malformed(line, "label address not printed yet");
        return (program.Labels[index], address);
    }

    private int LabelIndex(string text, string line)
    {
        int index = Int(text, line);
        if (index < 0 || index >= program.Labels.Length)
        {
            throw Malformed(line, "no such label");
        }

        return index;
    }

    private long RelativePage(long address, long labelAddress, string line)
    {
        long delta = address - labelAddress;
        if (delta % LabelLayout.PageBytes != 0)
        {
            throw Malformed(line, "address not page aligned");
        }

        return delta / LabelLayout.PageBytes;
    }

    private int Int(string text, string line) =>
        int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value)
            ? value
            : throw Malformed(line, $"'{text}' is not a number");

    private ulong Hex(string text, string line) =>
        ulong.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong value)
            ? value
            : throw Malformed(line, $"'{text}' is not a hex number");

    private NativeRunnerException Malformed(string line, string why)
    {
        string shown = line.Length > 120 ? line[..120] + "..." : line;
        return new NativeRunnerException(
            $"native output of '{program.Name}' line {lineNumber.ToString(CultureInfo.InvariantCulture)} is malformed ({why}): {shown}");
    }

    /// <summary>One observation being read.</summary>
    private sealed class Block(int step, ProcessId process)
    {
        public int Step { get; } = step;

        public ProcessId Process { get; } = process;

        public bool HasOutcome { get; set; }

        public bool Begun { get; set; }

        public int? Faults { get; set; }

        public int Signal { get; set; }

        public int Value { get; set; } = -1;

        public int? Errno { get; set; }
    }
}
