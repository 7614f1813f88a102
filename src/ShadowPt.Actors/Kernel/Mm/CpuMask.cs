using System.Numerics;
using System.Text;

namespace ShadowPt.Kernel;

/// <summary>
/// A set of CPUs (<c>struct cpumask</c>) for up to 64 CPUs, as one word. Used for <c>mm_cpumask</c>:
/// the CPUs that may hold TLB entries of an mm and must receive its flush IPIs.
/// </summary>
/// <remarks>include/linux/cpumask.h: cpumask_set_cpu, cpumask_clear_cpu, cpumask_test_cpu, for_each_cpu.</remarks>
public readonly record struct CpuMask(ulong Bits)
{
    /// <summary>Largest machine the model runs: 64 CPUs.</summary>
    public const int CpusMax = 64;

    public static CpuMask Empty => default;

    public int Count => BitOperations.PopCount(Bits);

    public bool IsEmpty => Bits == 0;

    public bool Test(CpuId cpu) => (Bits & Bit(cpu)) != 0;

    public CpuMask Set(CpuId cpu) => new(Bits | Bit(cpu));

    public CpuMask Clear(CpuId cpu) => new(Bits & ~Bit(cpu));

    /// <summary>for_each_cpu: the members in ascending order.</summary>
    public IEnumerable<CpuId> Cpus()
    {
        ulong rest = Bits;
        for (int guard = 0; rest != 0 && guard < CpusMax; guard++)
        {
            int cpu = BitOperations.TrailingZeroCount(rest);
            rest &= rest - 1;
            yield return new CpuId(cpu);
        }
    }

    /// <summary>Like the kernel's cpulist format: <c>0-2,5</c>.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        int cpu = 0;
        while (cpu < CpusMax)
        {
            if ((Bits & (1UL << cpu)) == 0)
            {
                cpu++;
                continue;
            }

            int first = cpu;
            while (cpu + 1 < CpusMax && (Bits & (1UL << (cpu + 1))) != 0)
            {
                cpu++;
            }

            text.Append(text.Length == 0 ? string.Empty : ",").Append(first);
            text.Append(first == cpu ? string.Empty : "-" + cpu.ToString(System.Globalization.CultureInfo.InvariantCulture));
            cpu++;
        }

        return text.ToString();
    }

    private static ulong Bit(CpuId cpu) => 1UL << cpu.Value;
}
