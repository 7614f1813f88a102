using ShadowPt.Kernel;
using static ShadowPt.Tests.Kernel.KernelTestUtil;
using KPageTable = ShadowPt.Kernel.PageTable;

namespace ShadowPt.Tests.Kernel.PageTable;

public sealed class PageTableTests
{
    private static readonly VirtAddr Addr = new(0x7ffff7ffe000);

    private static (FrameAllocator Frames, KPageTable Table) NewTable(int frames = 64)
    {
        var allocator = new FrameAllocator(frames);
        return (allocator, KPageTable.PgdAlloc(allocator, Who(0))!);
    }

    [Fact]
    public void PteAllocBuildsMissingLevelsOnceAndKeysThePtePageByItsFrame()
    {
        (FrameAllocator frames, KPageTable table) = NewTable();
        Assert.Null(table.PteTableOf(Addr));
        PtePageId? id = table.PteAlloc(Addr, Who(1));
        Assert.Equal(4, frames.AllocatedCount);
        Assert.Equal(new PtePageId(new Pfn(5)), id);
        Assert.Equal(id, table.PteAlloc(Addr + Page, Who(2)));
        Assert.Equal(id, table.PteTableOf(Addr - Page));
        Assert.Equal(4, frames.AllocatedCount);
        Assert.Equal((1, 2), (table.PtePageCount, table.UpperTableCount));
        table.AssertInvariants(frames);
    }

    [Fact]
    public void SetGetAndClearEntries()
    {
        (FrameAllocator frames, KPageTable table) = NewTable();
        table.PteAlloc(Addr, Who(1));
        Pte pte = Pte.MkPte(new Pfn(40), PgProt.PageShared);
        Assert.Equal(Pte.None, table.SetPteAt(Addr, pte));
        Assert.Equal(pte, table.GetPte(Addr));
        Assert.Equal(Pte.None, table.GetPte(Addr + Page));
        Assert.Equal(Pte.None, table.GetPte(new VirtAddr(0x1000)));
        Assert.Equal(1, table.MappedPteCount);
        Assert.Equal(pte, table.PtepGetAndClear(Addr));
        Assert.Equal(0, table.MappedPteCount);
        Assert.Throws<KernelBugException>(() => table.SetPteAt(new VirtAddr(0x1000), pte));
        table.AssertInvariants(frames);
    }

    [Fact]
    public void ZapPteRangeClearsEntriesInAddressOrderAndKeepsTables()
    {
        (FrameAllocator frames, KPageTable table) = NewTable();
        VirtAddr[] mapped = [new(0x400000), new(0x401000), new(0x600000), new(0x40000000)];
        foreach (VirtAddr a in mapped)
        {
            table.PteAlloc(a, Who(1));
            table.SetPteAt(a, Pte.MkPte(new Pfn(a.Vpn & 0xff), PgProt.PageShared));
        }

        var zapped = new List<ZappedPte>();
        int count = table.ZapPteRange(new AddrRange(new VirtAddr(0x401000), new VirtAddr(0x40001000)), zapped);
        Assert.Equal(3, count);
        Assert.Equal(new ulong[] { 0x401000, 0x600000, 0x40000000 }, zapped.Select(z => z.Address.Value).ToArray());
        Assert.Equal(new Pfn(0x01), zapped[0].OldPte.Pfn);
        Assert.Equal(table.PteTableOf(new VirtAddr(0x400000)), zapped[0].Table);
        Assert.Equal(1, table.MappedPteCount);
        Assert.Equal(3, table.PtePageCount);
        table.AssertInvariants(frames);
    }

    [Fact]
    public void FreeingAnEmptyPtePageFreesItsEmptyParentsButNotThePgd()
    {
        (FrameAllocator frames, KPageTable table) = NewTable();
        table.PteAlloc(Addr, Who(1));
        table.SetPteAt(Addr, Pte.MkPte(new Pfn(40), PgProt.PageShared));
        table.ZapPteRange(new AddrRange(Addr, Addr + Page), new List<ZappedPte>());
        var unhooked = new List<Pfn>();
        Assert.Equal(3, table.FreePgdRange(Addr, Addr + Page, VirtAddr.Zero, VirtAddr.Zero, unhooked));
        Assert.Equal(new[] { new Pfn(5), new Pfn(4), new Pfn(3) }, unhooked);
        Assert.Equal((0, 0), (table.PtePageCount, table.UpperTableCount));
        Assert.Equal(4, frames.AllocatedCount);
        frames.FreePages(unhooked, Who(2));
        Assert.Equal(1, frames.AllocatedCount);
        Assert.Null(table.PteTableOf(Addr));
        table.AssertInvariants(frames);
    }

    [Fact]
    public void FreePgdRangeKeepsTablesANeighbouringVmaMayUse()
    {
        (_, KPageTable table) = NewTable();
        var low = new VirtAddr(0x400000);
        var high = new VirtAddr(0x500000);
        table.PteAlloc(low, Who(1));
        table.SetPteAt(high, Pte.MkPte(new Pfn(9), PgProt.PageShared));
        var unhooked = new List<Pfn>();
        Assert.Equal(0, table.FreePgdRange(low, low + Page, VirtAddr.Zero, high, unhooked));
        Assert.Equal(1, table.PtePageCount);
        Assert.Throws<KernelBugException>(() => table.FreePgdRange(low, low + Page, VirtAddr.Zero, VirtAddr.Zero, unhooked));
    }

    [Fact]
    public void FreePgdRangeFreesTablesOnlyInsideFloorAndCeiling()
    {
        (_, KPageTable table) = NewTable();
        table.PteAlloc(new VirtAddr(0x400000), Who(1));
        table.PteAlloc(new VirtAddr(0x600000), Who(1));
        var unhooked = new List<Pfn>();
        int freed = table.FreePgdRange(new VirtAddr(0x500000), new VirtAddr(0x800000), new VirtAddr(0x500000), VirtAddr.Zero, unhooked);
        Assert.Equal(1, freed);
        Assert.NotNull(table.PteTableOf(new VirtAddr(0x400000)));
        Assert.Null(table.PteTableOf(new VirtAddr(0x600000)));
    }

    [Fact]
    public void EnumeratePtesWalksSparseTablesInOrder()
    {
        (FrameAllocator frames, KPageTable table) = NewTable();
        VirtAddr[] mapped = [new(0x1000), new(0x7f0000000000), new(0x7ffffffde000)];
        foreach (VirtAddr a in mapped.Reverse())
        {
            table.PteAlloc(a, Who(1));
            table.SetPteAt(a, Pte.MkPte(new Pfn(2), PgProt.PageReadonly));
        }

        table.PteAlloc(new VirtAddr(0x200000), Who(1));
        var seen = new List<ulong>();
        foreach (PteSlot slot in table.EnumeratePtes(new AddrRange(VirtAddr.Zero, new VirtAddr(PageGeometry.TaskSizeMax))))
        {
            seen.Add(slot.Address.Value);
        }

        Assert.Equal(mapped.Select(a => a.Value).ToArray(), seen.ToArray());
        table.AssertInvariants(frames);
    }

    [Fact]
    public void FreeAllReturnsEveryTableIncludingThePgd()
    {
        (FrameAllocator frames, KPageTable table) = NewTable();
        table.PteAlloc(new VirtAddr(0x1000), Who(1));
        table.PteAlloc(new VirtAddr(0x7ffffffde000), Who(1));
        var unhooked = new List<Pfn>();
        Assert.Equal(7, table.FreeAll(unhooked));
        Assert.Equal(frames.AllocatedCount, unhooked.Count);
        frames.FreePages(unhooked, Who(2));
        Assert.Equal(0, frames.AllocatedCount);
        Assert.True(table.IsFreed);
        Assert.Throws<KernelBugException>(() => table.GetPte(new VirtAddr(0x1000)));
    }

    [Fact]
    public void PteAllocReturnsNullWhenFramesRunOut()
    {
        (FrameAllocator frames, KPageTable table) = NewTable(frames: 5);
        Assert.Null(table.PteAlloc(Addr, Who(1)));
        Assert.Equal(3, frames.AllocatedCount);
        table.AssertInvariants(frames);
    }
}
