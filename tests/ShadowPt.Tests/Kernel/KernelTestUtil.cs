using ShadowPt.Kernel;

namespace ShadowPt.Tests.Kernel;

/// <summary>Small builders shared by the kernel model tests.</summary>
internal static class KernelTestUtil
{
    public const ulong Page = PageGeometry.PageSize;

    /// <summary>mmap_base of the default layout: 0x7ffff7fff000, as Linux x86-64 with ASLR off.</summary>
    public const ulong MmapBase = 0x7ffff7fff000;

    public static Provenance Who(long step, string who = "test") => new(step, who);

    public static VirtAddr Va(ulong value) => new(value);

    public static MmStruct NewMm(FrameAllocator? frames = null, MmLayout? layout = null, int id = 1)
    {
        frames ??= new FrameAllocator(256);
        return MmStruct.MmAlloc(new MmId(id), layout ?? MmLayout.X8664Default(), frames, Who(0, "mm_alloc"))
            ?? throw new InvalidOperationException("no frame for the PGD");
    }

    /// <summary>Anonymous private mapping; asserts success.</summary>
    public static VirtAddr MapAnon(MmStruct mm, ulong length, Prot prot = Prot.Read | Prot.Write, ulong addr = 0, MapFlags extra = MapFlags.None)
    {
        MmapResult result = Mmap.DoMmap(mm, Va(addr), length, prot, MapFlags.Private | MapFlags.Anonymous | extra, null, 0);
        Assert.Equal(Errno.None, result.Error);
        return result.Address;
    }

    /// <summary>The VMAs as (start, end, flags without soft-dirty) tuples, for exact comparisons.</summary>
    public static (ulong Start, ulong End, VmFlags Flags)[] Layout(MmStruct mm) =>
        mm.Vmas.All.Select(v => (v.VmStart.Value, v.VmEnd.Value, v.VmFlags & ~VmFlags.SoftDirty)).ToArray();

    public const VmFlags AnonRw = VmFlags.Read | VmFlags.Write | VmFlags.MayRead | VmFlags.MayWrite | VmFlags.MayExec | VmFlags.Account;

    public const VmFlags AnonRo = VmFlags.Read | VmFlags.MayRead | VmFlags.MayWrite | VmFlags.MayExec;
}
