using ShadowPt.Kernel;

namespace ShadowPt.Checking;

/// <summary>An access with the epoch (its CPU's own clock entry) it happened in.</summary>
public readonly record struct StampedAccess(int Epoch, MemoryAccess Access);

/// <summary>What the detector remembers of one word: its last write, and each CPU's last plain and marked read since.</summary>
internal sealed class WordHistory(int generation)
{
    public int Generation { get; private set; } = generation;

    public StampedAccess? LastWrite { get; private set; }

    /// <summary>Per CPU, the last plain read since <see cref="LastWrite"/>; null until a plain read.</summary>
    public StampedAccess?[]? PlainReads { get; private set; }

    /// <summary>Per CPU, the last marked read since <see cref="LastWrite"/>; null until a marked read.</summary>
    public StampedAccess?[]? MarkedReads { get; private set; }

    public void Reset(int generation)
    {
        Generation = generation;
        LastWrite = null;
        PlainReads = null;
        MarkedReads = null;
    }

    /// <summary>A write replaces the history (every earlier access happened before it, or was reported); a read joins it.</summary>
    public void Record(StampedAccess access, int cpus)
    {
        if (access.Access.Write)
        {
            LastWrite = access;
            if (PlainReads is not null)
            {
                Array.Clear(PlainReads);
            }

            if (MarkedReads is not null)
            {
                Array.Clear(MarkedReads);
            }

            return;
        }

        if (access.Access.Marking == AccessMarking.Plain)
        {
            PlainReads ??= new StampedAccess?[cpus];
            PlainReads[access.Access.Cpu.Value] = access;
        }
        else
        {
            MarkedReads ??= new StampedAccess?[cpus];
            MarkedReads[access.Access.Cpu.Value] = access;
        }
    }
}
