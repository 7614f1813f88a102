using System.Collections.Immutable;
using System.Globalization;

namespace ShadowPt.Kernel.Programs;

/// <summary>
/// An immutable, validated process program: a named list of steps that the simulator's process
/// actors and the native conformance runner both execute, one step at a time in program order.
/// </summary>
/// <remarks>
/// The program starts in the root process <c>p0</c>. Only <c>p0</c> forks; its children are
/// <c>p1</c>, <c>p2</c>, ... in fork order and inherit every label <c>p0</c> has mapped at the fork.
/// A label is defined by the one mmap step that maps it, and the process that ran that step (and
/// its children forked later) may use it. After every step, each live process observes every
/// label it has mapped over <see cref="ObservedPages"/>.
/// </remarks>
public sealed class ProcessProgram
{
    /// <summary>What validation worked out, per step.</summary>
    private readonly ProgramValidator.Analysis analysis;

    private ProcessProgram(string name, string description, ImmutableArray<ProgramStep> steps, ProgramValidator.Analysis analysis)
    {
        Name = name;
        Description = description;
        Steps = steps;
        this.analysis = analysis;
    }

    /// <summary>Name: lowercase letters, digits and '-'.</summary>
    public string Name { get; }

    /// <summary>One line saying what the program checks.</summary>
    public string Description { get; }

    /// <summary>The steps, in the order they run.</summary>
    public ImmutableArray<ProgramStep> Steps { get; }

    /// <summary>Labels in the order their mmap steps define them.</summary>
    public ImmutableArray<string> Labels => analysis.Labels;

    /// <summary>Processes the program ever has, the root included.</summary>
    public int ProcessCount => analysis.ProcessCount;

    /// <summary>Validates <paramref name="steps"/>; throws <see cref="ProgramValidationException"/> naming the broken rule.</summary>
    public static ProcessProgram Create(string name, string description, IEnumerable<ProgramStep> steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        ImmutableArray<ProgramStep> list = [.. steps.Take(ProgramLimits.StepsMax + 1)];
        ProgramValidator.Analysis analysis = ProgramValidator.Run(name, description, list);
        return new ProcessProgram(name, description, list, analysis);
    }

    /// <summary>The processes live after step <paramref name="stepIndex"/>, in ascending order.</summary>
    public ImmutableArray<ProcessId> LiveAfter(int stepIndex)
    {
        CheckStepIndex(stepIndex);
        return analysis.LiveAfter[stepIndex];
    }

    /// <summary>The labels <paramref name="process"/> observes after step <paramref name="stepIndex"/>, in definition order.</summary>
    public ImmutableArray<string> LabelsObservedBy(int stepIndex, ProcessId process)
    {
        CheckStepIndex(stepIndex);
        ArgumentOutOfRangeException.ThrowIfNegative(process.Value);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(process.Value, ProgramLimits.ProcessesMax);
        uint mask = analysis.VisibleAfter[stepIndex][process.Value];
        var result = ImmutableArray.CreateBuilder<string>(Labels.Length);
        for (int i = 0; i < Labels.Length; i++)
        {
            if ((mask & (1u << i)) != 0)
            {
                result.Add(Labels[i]);
            }
        }

        return result.ToImmutable();
    }

    /// <summary>Bit mask of <see cref="LabelsObservedBy"/> by label index.</summary>
    internal uint LabelMaskObservedBy(int stepIndex, ProcessId process) =>
        analysis.VisibleAfter[stepIndex][process.Value];

    /// <summary>The pages of <paramref name="label"/> that are observed: every page any step touches, and the mapping.</summary>
    public PageRange ObservedPages(string label) => analysis.Observed[LabelIndex(label)];

    /// <summary>The definition index of <paramref name="label"/>; throws when it is not a label of this program.</summary>
    public int LabelIndex(string label)
    {
        int index = Labels.IndexOf(label);
        if (index < 0)
        {
            throw new ArgumentException($"'{label}' is not a label of program '{Name}'", nameof(label));
        }

        return index;
    }

    /// <summary>The mmap step that defines <paramref name="label"/>.</summary>
    public MmapStep Mapping(string label)
    {
        int index = LabelIndex(label);
        return Steps.OfType<MmapStep>().First(m => m.Label == Labels[index]);
    }

    /// <summary>The step as observations show it, e.g. <c>p1: write(a+0, 0x41)</c>.</summary>
    public string StepHeader(int stepIndex)
    {
        CheckStepIndex(stepIndex);
        return $"{Steps[stepIndex].Process}: {Steps[stepIndex].Text}";
    }

    /// <summary>The whole program, one step a line.</summary>
    public string Describe()
    {
        var lines = new List<string>(Steps.Length + 1) { $"{Name}: {Description}" };
        for (int i = 0; i < Steps.Length; i++)
        {
            lines.Add($"  {i.ToString(CultureInfo.InvariantCulture),2} {StepHeader(i)}");
        }

        return string.Join('\n', lines);
    }

    public override string ToString() => Name;

    private void CheckStepIndex(int stepIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(stepIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(stepIndex, Steps.Length);
    }
}
