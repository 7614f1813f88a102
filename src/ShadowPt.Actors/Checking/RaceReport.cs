using System.Globalization;
using System.Text;
using ShadowPt.Kernel;
using ShadowPt.Spt;

namespace ShadowPt.Checking;

/// <summary>
/// A data race as KCSAN prints it (Documentation/dev-tools/kcsan.rst): a title naming both functions,
/// each access with its address, size, kind, task and CPU, the word it touched, the value change, and
/// the happens-before evidence (the earlier access's epoch against the later CPU's clock).
/// </summary>
public sealed record RaceReport(string Title, string Text, StampedAccess Earlier, StampedAccess Later)
{
    /// <summary>Where the kernel's direct map starts (page_offset_base without KASLR): addresses print as the kernel sees them.</summary>
    public const ulong DirectMapBase = 0xffff888000000000;

    /// <summary>Most address-space pieces searched for the user address of a PTE (reports only).</summary>
    private const int PtePmdsSearchedMax = 1 << 16;

    private const string Rule = "==================================================================";

    internal static RaceReport Build(KernelState state, StampedAccess earlier, StampedAccess later, VectorClock now)
    {
        bool assert = earlier.Access.Write && later.Access.Write && earlier.Access.Marking != AccessMarking.Plain && later.Access.Marking != AccessMarking.Plain;
        string[] functions = [FunctionOf(earlier.Access), FunctionOf(later.Access)];
        Array.Sort(functions, StringComparer.Ordinal);
        string title = $"BUG: KCSAN: {(assert ? "assert: race" : "data-race")} in {functions[0]} / {functions[1]}";
        var sb = new StringBuilder();
        sb.Append(Rule).Append('\n').Append(title).Append("\n\n");
        // The access that asserted is printed as the assertion; when both did, the later one (it detected it).
        bool laterAsserts = assert && later.Access.Marking == AccessMarking.MarkedExclusiveWriter;
        AppendAccess(sb, state, earlier.Access, assert && !laterAsserts);
        sb.Append('\n');
        AppendAccess(sb, state, later.Access, laterAsserts);
        sb.Append('\n');
        (ulong before, ulong after) = later.Access.Write ? (later.Access.OldValue, later.Access.NewValue) : (earlier.Access.OldValue, earlier.Access.NewValue);
        if (before != after)
        {
            sb.Append(CultureInfo.InvariantCulture, $"value changed: 0x{before:x16} -> 0x{after:x16}\n\n");
        }

        sb.Append("Reported by Kernel Concurrency Sanitizer on:\n");
        sb.Append(CultureInfo.InvariantCulture, $"CPU: {later.Access.Cpu.Value} PID: {later.Access.Pid} Comm: {Comm(state, later.Access.Pid)} step {later.Access.Step}\n");
        sb.Append(CultureInfo.InvariantCulture, $"no happens-before: {later.Access.Cpu}'s clock {now} does not cover {earlier.Access.Cpu}'s access at its epoch {earlier.Epoch}\n");
        sb.Append(Rule).Append('\n');
        return new RaceReport(title, sb.ToString(), earlier, later);
    }

    /// <summary>The function a report names: the kernel function of the memory operation, or "user load"/"user store".</summary>
    public static string FunctionOf(in MemoryAccess access) =>
        access.Space == AccessSpace.User ? (access.Write ? "user store" : "user load") : access.Function;

    private static void AppendAccess(StringBuilder sb, KernelState state, in MemoryAccess a, bool asAssert)
    {
        ulong address = DirectMapBase + (a.Frame.Value << PageGeometry.PageShift) + (ulong)a.Offset;
        string kind = asAssert ? "assert no writes" : (a.Write ? "write" : "read") + (a.Marking == AccessMarking.Plain ? string.Empty : " (marked)");
        sb.Append(CultureInfo.InvariantCulture, $"{kind} to 0x{address:x16} of {a.Size} bytes by task {a.Pid} on cpu {a.Cpu.Value}:\n");
        sb.Append(' ').Append(FunctionOf(a));
        if (a.Space == AccessSpace.User)
        {
            sb.Append(CultureInfo.InvariantCulture, $" at 0x{a.UserAddress.Value:x} ({Comm(state, a.Pid)}, {a.Function})");
        }

        sb.Append('\n').Append(' ').Append(Describe(state, a)).Append('\n');
    }

    private static string Comm(KernelState state, int pid) => state.FindTask(pid)?.Comm ?? "?";

    /// <summary>What the word is: a shadow entry's field, a PTE of some address, or a kernel frame's word.</summary>
    private static string Describe(KernelState state, in MemoryAccess a)
    {
        string where = string.Create(CultureInfo.InvariantCulture, $"frame 0x{a.Frame.Value:x} +0x{a.Offset:x}");
        if (a.Space == AccessSpace.Pte)
        {
            return PteOf(state, a.Frame, a.Offset / sizeof(ulong)) is (MmId mm, VirtAddr va)
                ? string.Create(CultureInfo.InvariantCulture, $"the PTE of 0x{va.Value:x} in {mm} ({where})")
                : $"a PTE ({where})";
        }

        SptState table = state.Extension<SptState>();
        int frameIndex = table.IsOpen ? IndexOf(table.Frames, a.Frame) : -1;
        if (frameIndex < 0)
        {
            return $"a word of a kernel frame ({where})";
        }

        long byteOffset = ((long)frameIndex * PageGeometry.PageSizeBytes) + (a.Offset & ~(sizeof(ulong) - 1));
        int entry = (int)(byteOffset / Spt.Spt.ShadowPteBytes);
        string field = ((byteOffset % Spt.Spt.ShadowPteBytes) / sizeof(ulong)) switch { 0 => "vaddr", 1 => "pfn", _ => "state_flags" };
        return string.Create(CultureInfo.InvariantCulture, $"shadow_pte[{entry}].{field}, the shadow table's entry for 0x{table.PageOf(entry).Value:x} ({where})");
    }

    private static int IndexOf(IReadOnlyList<Pfn> frames, Pfn frame)
    {
        for (int i = 0; i < frames.Count; i++)
        {
            if (frames[i] == frame)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The mm and user address whose PTE is entry <paramref name="index"/> of the PTE page in <paramref name="table"/>, searched through the VMAs.</summary>
    private static (MmId, VirtAddr)? PteOf(KernelState state, Pfn table, int index)
    {
        var wanted = new PtePageId(table);
        int searched = 0;
        foreach (MmStruct mm in state.Mms.Where(m => !m.IsDead))
        {
            foreach (VmArea vma in mm.Vmas.All)
            {
                for (ulong pmd = vma.VmStart.Value & ~(PageGeometry.PmdSize - 1); pmd < vma.VmEnd.Value && searched++ < PtePmdsSearchedMax; pmd += PageGeometry.PmdSize)
                {
                    if (mm.Pgd.PteTableOf(new VirtAddr(pmd)) == wanted)
                    {
                        return (mm.Id, new VirtAddr(pmd + ((ulong)index << PageGeometry.PageShift)));
                    }
                }
            }
        }

        return null;
    }
}
