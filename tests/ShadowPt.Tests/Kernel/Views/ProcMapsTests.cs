using ShadowPt.Kernel;
using static ShadowPt.Tests.Kernel.KernelTestUtil;

namespace ShadowPt.Tests.Kernel.Views;

public sealed class ProcMapsTests
{
    [Fact]
    public void LinesMatchLinuxByteForByte()
    {
        MmStruct mm = NewMm();
        var ld = new MappedFile(331651, 0xfe, 0, "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", 64, Writable: false);
        Mmap.DoMmap(mm, Va(0x7ffff7fcb000), 0x26000, Prot.Read | Prot.Exec, MapFlags.Private | MapFlags.Fixed, ld, 1);
        Mmap.DoMmap(mm, Va(0x7ffff7ffd000), 0x2000, Prot.Read | Prot.Write, MapFlags.Private | MapFlags.Fixed, ld, 0x33);
        mm.SetBrkBase(Va(0x555555559000));
        Mmap.SysBrk(mm, Va(0x55555557a000));
        MapAnon(mm, Page, addr: 0x7ffff7fc0000);
        Mmap.SetupArgPages(mm);
        Mmap.DoMmap(mm, Va(0x7ffff7fb0000), Page, Prot.Read | Prot.Write, MapFlags.Shared | MapFlags.Anonymous, MappedFile.DevZeroShmem(1031), 0);
        string expected =
            "555555559000-55555557a000 rw-p 00000000 00:00 0                          [heap]\n" +
            "7ffff7fb0000-7ffff7fb1000 rw-s 00000000 00:01 1031                       /dev/zero (deleted)\n" +
            "7ffff7fc0000-7ffff7fc1000 rw-p 00000000 00:00 0 \n" +
            "7ffff7fcb000-7ffff7ff1000 r-xp 00001000 fe:00 331651                     /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2\n" +
            "7ffff7ffd000-7ffff7fff000 rw-p 00033000 fe:00 331651                     /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2\n" +
            "7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0                          [stack]\n";
        Assert.Equal(expected, ProcMaps.Format(mm));
    }

    [Fact]
    public void ShortAddressesArePaddedToEightDigitsAndNoHeapBeforeTheFirstBrk()
    {
        MmStruct mm = NewMm();
        mm.SetBrkBase(Va(0x400000));
        MapAnon(mm, Page, Prot.Read | Prot.Exec, addr: 0x3ff000, extra: MapFlags.Fixed);
        Assert.Equal("003ff000-00400000 r-xp 00000000 00:00 0 \n", ProcMaps.Format(mm));
    }
}
