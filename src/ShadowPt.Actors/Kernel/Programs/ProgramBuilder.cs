namespace ShadowPt.Kernel.Programs;

/// <summary>
/// Builds a <see cref="ProcessProgram"/> step by step. Each method adds one step, run by
/// <c>by</c> (the root <c>p0</c> when omitted); <see cref="Build"/> validates the whole program.
/// </summary>
/// <example>
/// <code>
/// ProcessProgram cow = new ProgramBuilder("fork-write-child", "a child's write copies the page")
///     .Mmap("a", 1).Write("a", 0, 0x41).Fork(out ProcessId child).Write("a", 0, 0x42, by: child).Build();
/// </code>
/// </example>
public sealed partial class ProgramBuilder
{
    /// <summary>The program's name.</summary>
    private readonly string name;

    /// <summary>The program's one-line description.</summary>
    private readonly string description;

    /// <summary>The steps so far.</summary>
    private readonly List<ProgramStep> steps = new(ProgramLimits.StepsMax);

    /// <summary>Think time for the next step added.</summary>
    private long pendingThinkTicks;

    /// <summary>The child id the next fork creates.</summary>
    private int nextChild = 1;

    public ProgramBuilder(string name, string description)
    {
        this.name = name;
        this.description = description;
    }

    /// <summary>The next step added waits <paramref name="ticks"/> simulated ticks before it runs.</summary>
    public ProgramBuilder Think(long ticks)
    {
        pendingThinkTicks = ticks;
        return this;
    }

    public ProgramBuilder Mmap(
        string label, int pages, Prot prot = (Prot.Read | Prot.Write), MapFlags flags = (MapFlags.Private | MapFlags.Anonymous), ProcessId? by = null) =>
        Add(new MmapStep(label, pages, prot, flags), by);

    public ProgramBuilder Munmap(string label, int pageOffset, int pages, ProcessId? by = null) =>
        Add(new MunmapStep(label, pageOffset, pages), by);

    public ProgramBuilder Mprotect(string label, int pageOffset, int pages, Prot prot, ProcessId? by = null) =>
        Add(new MprotectStep(label, pageOffset, pages, prot), by);

    public ProgramBuilder Read(string label, int pageOffset, ProcessId? by = null) =>
        Add(new ReadStep(label, pageOffset), by);

    public ProgramBuilder Write(string label, int pageOffset, byte value, ProcessId? by = null) =>
        Add(new WriteStep(label, pageOffset, value), by);

    public ProgramBuilder MadviseDontneed(string label, int pageOffset, int pages, ProcessId? by = null) =>
        Add(new MadviseDontneedStep(label, pageOffset, pages), by);

    public ProgramBuilder Mlock(string label, int pageOffset, int pages, ProcessId? by = null) =>
        Add(new MlockStep(label, pageOffset, pages), by);

    public ProgramBuilder Munlock(string label, int pageOffset, int pages, ProcessId? by = null) =>
        Add(new MunlockStep(label, pageOffset, pages), by);

    /// <summary>A hot loop writing <paramref name="value"/> to one page every tick for <paramref name="ticks"/> ticks.</summary>
    public ProgramBuilder Spin(string label, int pageOffset, long ticks, byte value, ProcessId? by = null) =>
        Add(new SpinStep(label, pageOffset, ticks, value), by);

    /// <summary>set_mempolicy(<paramref name="mode"/>, <paramref name="nodes"/>).</summary>
    public ProgramBuilder SetMempolicy(MemPolicyMode mode, ulong nodes, ProcessId? by = null) =>
        Add(new SetMempolicyStep(mode, nodes), by);

    /// <summary>The root forks; the child is <c>p1</c> for the first fork, then <c>p2</c>, ...</summary>
    public ProgramBuilder Fork(out ProcessId child)
    {
        child = new ProcessId(nextChild);
        nextChild++;
        return Add(new ForkStep(child), ProcessId.Root);
    }

    /// <summary>The child <paramref name="process"/> exits.</summary>
    public ProgramBuilder Exit(ProcessId process) => Add(new ExitStep(), process);

    /// <summary>Adds an already made step as it is.</summary>
    public ProgramBuilder Step(ProgramStep step)
    {
        ArgumentNullException.ThrowIfNull(step);
        steps.Add(step);
        return this;
    }

    /// <summary>Validates and returns the program; throws <see cref="ProgramValidationException"/>.</summary>
    public ProcessProgram Build() => ProcessProgram.Create(name, description, steps);

    private ProgramBuilder Add(ProgramStep step, ProcessId? by)
    {
        steps.Add(step with { Process = by ?? ProcessId.Root, ThinkTicks = pendingThinkTicks });
        pendingThinkTicks = 0;
        return this;
    }
}
