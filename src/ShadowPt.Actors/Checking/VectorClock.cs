using System.Globalization;
using System.Text;

namespace ShadowPt.Checking;

/// <summary>
/// A vector clock over the machine's CPUs, the units of sequential execution: entry <c>i</c> is how
/// far this clock has seen CPU <c>i</c>'s history (in CPU <c>i</c>'s own release count).
/// </summary>
public sealed class VectorClock
{
    /// <summary>The entries, one per CPU.</summary>
    private readonly int[] _ticks;

    public VectorClock(int width)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(width, Kernel.MachineConfig.CpusMax);
        _ticks = new int[width];
    }

    public int Width => _ticks.Length;

    public int this[int cpu] => _ticks[cpu];

    /// <summary>Whether CPU <paramref name="cpu"/>'s event at <paramref name="epoch"/> happened before this clock's present.</summary>
    public bool Covers(int cpu, int epoch) => _ticks[cpu] >= epoch;

    /// <summary>This clock becomes the least upper bound of itself and <paramref name="other"/> (an acquire).</summary>
    public void Join(VectorClock other)
    {
        ArgumentNullException.ThrowIfNull(other);
        Kernel.Bug.On(other._ticks.Length != _ticks.Length, "vector clocks of different widths");
        for (int i = 0; i < _ticks.Length; i++)
        {
            _ticks[i] = Math.Max(_ticks[i], other._ticks[i]);
        }
    }

    public void CopyFrom(VectorClock other)
    {
        ArgumentNullException.ThrowIfNull(other);
        Kernel.Bug.On(other._ticks.Length != _ticks.Length, "vector clocks of different widths");
        other._ticks.CopyTo(_ticks, 0);
    }

    /// <summary>CPU <paramref name="cpu"/> starts a new epoch (after a release: what follows is not covered by it).</summary>
    public void Tick(int cpu)
    {
        Kernel.Bug.On(_ticks[cpu] == int.MaxValue, "vector clock overflow");
        _ticks[cpu]++;
    }

    /// <summary>"[c0:12 c1:40]".</summary>
    public override string ToString()
    {
        var sb = new StringBuilder("[");
        for (int i = 0; i < _ticks.Length; i++)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{(i == 0 ? string.Empty : " ")}c{i}:{_ticks[i]}");
        }

        return sb.Append(']').ToString();
    }
}
