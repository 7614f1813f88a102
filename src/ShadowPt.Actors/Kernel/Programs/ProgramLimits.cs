namespace ShadowPt.Kernel.Programs;

/// <summary>
/// Every bound of a process program. A program outside them is rejected when it is built, so that
/// the simulator and the native runner never meet an unbounded loop or buffer.
/// </summary>
public static class ProgramLimits
{
    /// <summary>Steps per program.</summary>
    public const int StepsMax = 64;

    /// <summary>Labelled mappings per program.</summary>
    public const int LabelsMax = 8;

    /// <summary>Processes per program, the root included.</summary>
    public const int ProcessesMax = 4;

    /// <summary>Pages of one mapping, and the highest page offset (exclusive) a step may name.</summary>
    public const int PagesPerMappingMax = 64;

    /// <summary>How far below its label a step may reach, in pages (stack growth).</summary>
    public const int PagesBelowLabelMax = 16;

    /// <summary>Longest label: a lowercase letter, then lowercase letters, digits or '_'.</summary>
    public const int LabelLengthMax = 16;

    /// <summary>Longest program name.</summary>
    public const int NameLengthMax = 48;

    /// <summary>Longest one-line description.</summary>
    public const int DescriptionLengthMax = 160;

    /// <summary>Simulated think time a step may ask for before it runs.</summary>
    public const long ThinkTicksMax = 1_000_000;

    /// <summary>Pages observed per label: the widest range a label's steps can touch.</summary>
    public const int ObservedPagesPerLabelMax = PagesBelowLabelMax + PagesPerMappingMax;
}
