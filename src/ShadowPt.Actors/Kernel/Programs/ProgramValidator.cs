using System.Collections.Immutable;
using System.Globalization;

namespace ShadowPt.Kernel.Programs;

/// <summary>
/// Checks a program step by step and works out what each step leaves behind: which processes are
/// live, which labels each of them has mapped, and which pages of each label anyone touches.
/// </summary>
internal sealed class ProgramValidator
{
    /// <summary>The program's name, for messages.</summary>
    private readonly string name;

    /// <summary>Labels in definition order.</summary>
    private readonly List<string> labels = new(ProgramLimits.LabelsMax);

    /// <summary>Lowest and highest (exclusive) page offset touched, per label index.</summary>
    private readonly List<PageRange> observed = new(ProgramLimits.LabelsMax);

    /// <summary>Whether each process exists and has not exited.</summary>
    private readonly bool[] live = new bool[ProgramLimits.ProcessesMax];

    /// <summary>Labels each process has mapped (inherited at fork or its own), as bit masks.</summary>
    private readonly uint[] visible = new uint[ProgramLimits.ProcessesMax];

    /// <summary>The id the next fork gives its child.</summary>
    private int nextChild = 1;

    private ProgramValidator(string name)
    {
        this.name = name;
        live[0] = true;
    }

    /// <summary>What a valid program leaves after each step.</summary>
    internal sealed record Analysis(
        ImmutableArray<string> Labels,
        ImmutableArray<PageRange> Observed,
        int ProcessCount,
        ImmutableArray<ImmutableArray<ProcessId>> LiveAfter,
        ImmutableArray<ImmutableArray<uint>> VisibleAfter);

    /// <summary>Validates and analyses; throws <see cref="ProgramValidationException"/> at the first broken rule.</summary>
    internal static Analysis Run(string name, string description, IReadOnlyList<ProgramStep> steps)
    {
        if (!ProgramNames.IsValidProgramName(name))
        {
            throw new ProgramValidationException(
                $"program name '{name}' is invalid: use 1 to {ProgramLimits.NameLengthMax} lowercase letters, digits or '-'");
        }

        if (!ProgramNames.IsValidDescription(description))
        {
            throw new ProgramValidationException(
                $"program '{name}': the description must be one line of 1 to {ProgramLimits.DescriptionLengthMax} characters");
        }

        if (steps.Count == 0 || steps.Count > ProgramLimits.StepsMax)
        {
            throw new ProgramValidationException(
                $"program '{name}' has {steps.Count} steps; it must have 1 to {ProgramLimits.StepsMax}");
        }

        var validator = new ProgramValidator(name);
        var liveAfter = ImmutableArray.CreateBuilder<ImmutableArray<ProcessId>>(steps.Count);
        var visibleAfter = ImmutableArray.CreateBuilder<ImmutableArray<uint>>(steps.Count);
        for (int i = 0; i < steps.Count; i++)
        {
            validator.Check(i, steps[i] ?? throw new ProgramValidationException($"program '{name}' step {i} is null"));
            liveAfter.Add(validator.LiveProcesses());
            visibleAfter.Add([.. validator.visible]);
        }

        return new Analysis(
            [.. validator.labels],
            [.. validator.observed],
            validator.nextChild,
            liveAfter.MoveToImmutable(),
            visibleAfter.MoveToImmutable());
    }

    private ImmutableArray<ProcessId> LiveProcesses()
    {
        var result = ImmutableArray.CreateBuilder<ProcessId>(ProgramLimits.ProcessesMax);
        for (int p = 0; p < live.Length; p++)
        {
            if (live[p])
            {
                result.Add(new ProcessId(p));
            }
        }

        return result.ToImmutable();
    }

    private void Check(int index, ProgramStep step)
    {
        var where = new StepPlace(name, index, step); // formatted only into a message: every program is validated when built
        int p = step.Process.Value;
        if (p < 0 || p >= nextChild || !live[p])
        {
            throw new ProgramValidationException($"{where}: process {step.Process} is not live here");
        }

        if (step.ThinkTicks < 0 || step.ThinkTicks > ProgramLimits.ThinkTicksMax)
        {
            throw new ProgramValidationException(
                $"{where}: think time {step.ThinkTicks} ticks is outside 0..{ProgramLimits.ThinkTicksMax}");
        }

        switch (step)
        {
            case MmapStep mmap:
                CheckMmap(where, p, mmap);
                break;
            case LabelStep labelled:
                CheckLabelStep(where, p, labelled);
                break;
            case ForkStep fork:
                CheckFork(where, p, fork);
                break;
            case ExecveStep:
            case BrkStep:
            case SetMempolicyStep:
            case ClearRefsStep:
            case MlockallStep:
            case MprotectTrackStep:
            case UffdWpMonitorStep:
                break;
            case ProcessMadvisePageoutStep pageout:
                CheckProcessPageout(where, pageout);
                break;
            case UffdStep uffd:
                CheckUffd(where, p, uffd);
                break;
            case ExitStep:
                if (p == 0)
                {
                    throw new ProgramValidationException($"{where}: the root process p0 cannot exit; it ends with the program");
                }

                live[p] = false;
                break;
            default:
                throw new ProgramValidationException($"{where}: unknown step type {step.GetType().Name}");
        }
    }

    private void CheckMmap(StepPlace where, int p, MmapStep mmap)
    {
        CheckLabelSyntax(where, mmap.Label);
        if (labels.Contains(mmap.Label))
        {
            throw new ProgramValidationException($"{where}: label '{mmap.Label}' is already defined; each label is mapped once");
        }

        if (labels.Count == ProgramLimits.LabelsMax)
        {
            throw new ProgramValidationException($"{where}: more than {ProgramLimits.LabelsMax} labels");
        }

        if (mmap.Pages < 1 || mmap.Pages > ProgramLimits.PagesPerMappingMax)
        {
            throw new ProgramValidationException(
                $"{where}: {mmap.Pages} pages; a mapping has 1 to {ProgramLimits.PagesPerMappingMax}");
        }

        CheckProt(where, mmap.Prot);
        MapFlags known = MapFlags.Private | MapFlags.Shared | MapFlags.Anonymous | MapFlags.GrowsDown;
        if ((mmap.Flags & ~known) != 0)
        {
            throw new ProgramValidationException($"{where}: unknown mmap flags 0x{(int)mmap.Flags:x}");
        }

        bool isPrivate = (mmap.Flags & MapFlags.Private) != 0;
        bool isShared = (mmap.Flags & MapFlags.Shared) != 0;
        if (isPrivate == isShared)
        {
            throw new ProgramValidationException($"{where}: a mapping is exactly one of private and shared");
        }

        if ((mmap.Flags & MapFlags.Anonymous) == 0 && mmap.File is null)
        {
            throw new ProgramValidationException($"{where}: a mapping is anonymous or names a file");
        }

        if (mmap.File is not null && ((mmap.Flags & MapFlags.Anonymous) != 0 || mmap.File.Length is 0 or > 128 || mmap.PgoffPages < 0))
        {
            throw new ProgramValidationException($"{where}: a file mapping is not anonymous and names a file of 1 to 128 characters at a page offset from 0");
        }

        visible[p] |= 1u << labels.Count;
        labels.Add(mmap.Label);
        observed.Add(new PageRange(0, mmap.Pages));
    }

    private static void CheckProcessPageout(StepPlace where, ProcessMadvisePageoutStep step)
    {
        if ((step.Address & (PageGeometry.PageSize - 1)) != 0 || step.Address >= PageGeometry.TaskSizeMax || step.Pages < 1 || step.Pages > ProgramLimits.PagesPerMappingMax)
        {
            throw new ProgramValidationException($"{where}: process_madvise needs a page-aligned user address and 1 to {ProgramLimits.PagesPerMappingMax} pages");
        }
    }

    private void CheckLabelStep(StepPlace where, int p, LabelStep step)
    {
        CheckLabelSyntax(where, step.Label);
        int labelIndex = labels.IndexOf(step.Label);
        if (labelIndex < 0)
        {
            throw new ProgramValidationException($"{where}: label '{step.Label}' is not defined by an earlier mmap step");
        }

        if ((visible[p] & (1u << labelIndex)) == 0)
        {
            throw new ProgramValidationException(
                $"{where}: label '{step.Label}' is not mapped in {new ProcessId(p)} (it was mapped by another process after fork)");
        }

        if (step.PageOffset < -ProgramLimits.PagesBelowLabelMax || step.PageOffset >= ProgramLimits.PagesPerMappingMax)
        {
            throw new ProgramValidationException(
                $"{where}: page offset {step.PageOffset} is outside {-ProgramLimits.PagesBelowLabelMax}..{ProgramLimits.PagesPerMappingMax - 1}");
        }

        if (step.Pages < 1 || step.PageOffset + step.Pages > ProgramLimits.PagesPerMappingMax)
        {
            throw new ProgramValidationException(
                $"{where}: {step.Pages} pages from offset {step.PageOffset} end beyond page {ProgramLimits.PagesPerMappingMax}");
        }

        if (step is MprotectStep mprotect)
        {
            CheckProt(where, mprotect.Prot);
        }

        PageRange range = observed[labelIndex];
        observed[labelIndex] = new PageRange(
            Math.Min(range.Low, step.PageOffset), Math.Max(range.High, step.PageOffset + step.Pages));
    }

    private void CheckFork(StepPlace where, int p, ForkStep fork)
    {
        if (p != 0)
        {
            throw new ProgramValidationException($"{where}: only the root process p0 forks");
        }

        if (nextChild == ProgramLimits.ProcessesMax)
        {
            throw new ProgramValidationException($"{where}: more than {ProgramLimits.ProcessesMax} processes");
        }

        if (fork.Child.Value != nextChild)
        {
            throw new ProgramValidationException(
                $"{where}: the child of this fork is {new ProcessId(nextChild)}, not {fork.Child}");
        }

        live[nextChild] = true;
        visible[nextChild] = visible[0];
        nextChild++;
    }

    /// <summary>A userfaultfd step without a label: a descriptor index in range, a live peer to send to, a bounded loop.</summary>
    private void CheckUffd(StepPlace where, int p, UffdStep step)
    {
        if (step.Uffd < 0 || step.Uffd >= Kernel.UffdApi.FdsMax)
        {
            throw new ProgramValidationException($"{where}: descriptor index {step.Uffd} is outside 0..{Kernel.UffdApi.FdsMax - 1}");
        }

        if (step is UffdSendStep send && (send.To.Value == p || send.To.Value < 0 || send.To.Value >= nextChild || !live[send.To.Value]))
        {
            throw new ProgramValidationException($"{where}: a descriptor is sent to another live process");
        }

        if (step is UffdServeStep serve && (serve.Count < 1 || serve.Count > ProgramLimits.StepsMax))
        {
            throw new ProgramValidationException($"{where}: a serve loop reads 1 to {ProgramLimits.StepsMax} messages");
        }
    }

    private static void CheckLabelSyntax(StepPlace where, string label)
    {
        if (!ProgramNames.IsValidLabel(label))
        {
            throw new ProgramValidationException(
                $"{where}: label '{label}' is invalid: use a lowercase letter then up to {ProgramLimits.LabelLengthMax - 1} lowercase letters, digits or '_'");
        }
    }

    private static void CheckProt(StepPlace where, Prot prot)
    {
        if ((prot & ~(Prot.Read | Prot.Write | Prot.Exec)) != 0)
        {
            throw new ProgramValidationException($"{where}: unknown protection bits 0x{(int)prot:x}");
        }
    }

    /// <summary>
    /// Where a rule is checked, <c>program 'name' step 3 (p0: write(a+0, 0x41))</c>, as messages begin:
    /// formatted when a message is, not for every step of every program built.
    /// </summary>
    private readonly record struct StepPlace(string Name, int Index, ProgramStep Step)
    {
        public override string ToString() =>
            $"program '{Name}' step {Index.ToString(CultureInfo.InvariantCulture)} ({Step.Process}: {SafeText(Step)})";
    }

    /// <summary>The step's text for a message; a step with a null label must not crash the message.</summary>
    private static string SafeText(ProgramStep step)
    {
        if (step is LabelStep { Label: null })
        {
            return step.GetType().Name;
        }

        string text = step.Text;
        if (text.Length > ProgramLimits.DescriptionLengthMax)
        {
            text = text[..ProgramLimits.DescriptionLengthMax];
        }

        return string.Concat(text.Select(c => char.IsControl(c) ? "?" : c.ToString()));
    }
}
