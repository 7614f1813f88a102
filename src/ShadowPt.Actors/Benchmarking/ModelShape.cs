using ShadowPt.Kernel;

namespace ShadowPt.Benchmarking;

/// <summary>
/// The machine and processes of one model benchmark: <see cref="Cpus"/> CPUs, <see cref="Processes"/>
/// processes spread round robin over them, each mapping <see cref="PagesPerProcess"/> private
/// anonymous pages, and TLBs of <see cref="TlbEntries"/> entries.
/// </summary>
public sealed record ModelShape(int Cpus, int Processes, int PagesPerProcess, int TlbEntries)
{
    /// <summary>Most processes a shape may have (below the machine's tasks-max).</summary>
    public const int ProcessesMax = 1_000;

    /// <summary>Most pages one process may map.</summary>
    public const int PagesPerProcessMax = 1 << 20;

    /// <summary>Frames a process needs besides its pages: PGD, PUD, PMD and PTE pages, with room to spare.</summary>
    public const int TableFramesPerProcess = 8;

    /// <summary>Frames of physical memory: every page of every process, its page tables, and a little slack.</summary>
    public int Frames => checked((Processes * (PagesPerProcess + (PagesPerProcess / PageGeometry.PtrsPerTable) + TableFramesPerProcess)) + 64);

    /// <summary>Throws when a count is out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Cpus, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Cpus, MachineConfig.CpusMax);
        ArgumentOutOfRangeException.ThrowIfLessThan(Processes, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Processes, ProcessesMax);
        ArgumentOutOfRangeException.ThrowIfLessThan(PagesPerProcess, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(PagesPerProcess, PagesPerProcessMax);
        ArgumentOutOfRangeException.ThrowIfLessThan(TlbEntries, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(TlbEntries, Tlb.CapacityMax);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Frames, FrameAllocator.FramesMax);
    }

    public MachineConfig ToMachineConfig() => new() { Cpus = Cpus, Frames = Frames, TlbEntries = TlbEntries };

    public override string ToString() => $"{Cpus} cpus, {Processes} processes x {PagesPerProcess} pages, tlb {TlbEntries}";
}
