using ShadowPt.Kernel;

namespace ShadowPt.Tests.Kernel.PageTable;

public sealed class PteTests
{
    [Fact]
    public void MkPteLaysOutPfnAndX86Bits()
    {
        Pte pte = Pte.MkPte(new Pfn(0x42), PgProt.PageShared);
        Assert.Equal(0x8000000000042027UL, pte.Value);
        Assert.True(pte.IsPresent && pte.IsHardwarePresent && pte.IsWrite && pte.IsUser && pte.IsYoung);
        Assert.False(pte.IsNone || pte.IsDirty || pte.IsExec || pte.IsSwap || pte.IsSpecial);
        Assert.Equal(new Pfn(0x42), pte.Pfn);
        Assert.Equal("pte 0x8000000000042027 pfn 0x42 P W U A", pte.ToString());
    }

    [Fact]
    public void FlagOperationsAreNamedAndBehaveLikeTheKernel()
    {
        Pte pte = Pte.MkPte(new Pfn(7), PgProt.PageCopy);
        Assert.False(pte.IsWrite);
        Pte written = pte.PteMkWrite().PteMkDirty();
        Assert.True(written.IsWrite && written.IsDirty && written.IsSoftDirty);
        Assert.False(written.PteWrProtect().IsWrite);
        Assert.False(written.PteMkClean().IsDirty);
        Assert.True(written.PteMkClean().IsSoftDirty);
        Assert.False(written.PteMkOld().IsYoung);
        Assert.True(written.PteMkOld().PteMkYoung().IsYoung);
        Assert.False(written.PteClearSoftDirty().IsSoftDirty);
        Assert.True(pte.PteMkSpecial().IsSpecial);
        Pte wp = written.PteMkUffdWp();
        Assert.True(wp.IsUffdWp);
        Assert.False(wp.IsWrite);
        Assert.False(wp.PteClearUffdWp().IsUffdWp);
        Assert.True(Pte.PteSame(written, pte.PteMkWrite().PteMkDirty()));
        Assert.False(Pte.PteSame(written, pte));
    }

    [Fact]
    public void PteModifyKeepsPfnDirtyAndSoftDirty()
    {
        Pte pte = Pte.MkPte(new Pfn(9), PgProt.PageShared).PteMkDirty();
        Pte ro = pte.PteModify(PgProt.PageReadonly);
        Assert.Equal(new Pfn(9), ro.Pfn);
        Assert.True(ro.IsDirty && ro.IsSoftDirty && ro.IsPresent);
        Assert.False(ro.IsWrite);
        Pte none = pte.PteModify(PgProt.PageNone);
        Assert.True(none.IsPresent && none.IsProtNone);
        Assert.False(none.IsHardwarePresent);
    }

    [Fact]
    public void NoneIgnoresHardwareAccessedAndDirtyBits()
    {
        Assert.True(Pte.None.IsNone);
        Assert.True(new Pte(PteBits.Accessed | PteBits.Dirty).IsNone);
        Assert.False(Pte.None.IsPresent);
        Assert.False(Pte.None.IsSwap);
    }

    [Theory]
    [InlineData(0u, 0UL)]
    [InlineData(1u, 0x1234UL)]
    [InlineData(31u, (1UL << 50) - 1)]
    public void SwapEntriesRoundTripThroughTheX86Encoding(uint type, ulong offset)
    {
        Pte pte = Pte.SwpEntryToPte(new SwpEntry(type, offset));
        Assert.True(pte.IsSwap);
        Assert.False(pte.IsNone || pte.IsPresent);
        Assert.Equal(new SwpEntry(type, offset), pte.PteToSwpEntry());
        Assert.Equal((ulong)type, pte.Value >> 59);
        Pte marked = pte.PteSwpMkSoftDirty().PteSwpMkExclusive();
        Assert.True(marked.IsSwpSoftDirty && marked.IsSwpExclusive);
        Assert.False(marked.IsSwpUffdWp);
        Assert.Equal(new SwpEntry(type, offset), marked.PteToSwpEntry());
    }

    [Fact]
    public void ProtectionMapGivesPrivateWritableMappingsReadOnlyPtes()
    {
        Assert.Equal(PgProt.PageCopy, PgProt.FromVmBits(read: true, write: true, exec: false, shared: false));
        Assert.Equal(PgProt.PageShared, PgProt.FromVmBits(read: true, write: true, exec: false, shared: true));
        Assert.Equal(PgProt.PageReadonlyExec, PgProt.FromVmBits(read: true, write: false, exec: true, shared: true));
        Assert.Equal(PgProt.PageNone, PgProt.FromVmBits(read: false, write: false, exec: false, shared: false));
    }

    [Fact]
    public void FlagChangesOnNonPresentEntriesAreModelBugs()
    {
        Assert.Throws<KernelBugException>(() => Pte.None.PteMkWrite());
        Assert.Throws<KernelBugException>(() => Pte.None.PteToSwpEntry());
        Assert.Throws<KernelBugException>(() => Pte.MkPte(new Pfn(1), PgProt.PageShared).PteSwpMkSoftDirty());
    }
}
