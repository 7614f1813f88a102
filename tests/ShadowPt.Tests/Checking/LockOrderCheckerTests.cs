using ShadowPt.Checking;
using ShadowPt.Kernel;

namespace ShadowPt.Tests.Checking;

public sealed class LockOrderCheckerTests
{
    private static HeldLock Mmap(string mm = "mm1", int subclass = 0, string at = "do_user_addr_fault") => new(LockClass.MmapLock, mm + "->mmap_lock", subclass, at);

    private static HeldLock Ptl(string page = "ptl 7", int subclass = 0, string at = "handle_pte_fault") => new(LockClass.PageTableLock, page, subclass, at);

    private static HeldLock Shadow(string at = "update_shadow_pte") => new(LockClass.ShadowPtLock, "shadowpt_lock", 0, at);

    private static HeldLock IMmap(string at = "unmap_mapping_range") => new(LockClass.IMmapRwsem, "file1->i_mmap_rwsem", 0, at);

    private static HeldLock AnonVma(string at = "rmap_walk_anon") => new(LockClass.AnonVmaRwsem, "anon_vma3->rwsem", 0, at);

    [Fact]
    public void TheDocumentedOrderIsSilentAndRecordsEdges()
    {
        var checker = new LockOrderChecker();
        Assert.Null(checker.OnAcquire("target-1", "cpu0", Ptl(), [Mmap()], irqsDisabled: false));
        Assert.Null(checker.OnAcquire("target-1", "cpu0", Shadow(), [Mmap(), Ptl()], irqsDisabled: false));
        Assert.Equal(3, checker.EdgeCount);
        Assert.Contains(checker.Edges, e => e.Outer == LockClass.PageTableLock && e.Inner == LockClass.ShadowPtLock && e.Info.InnerPlace == "update_shadow_pte");
    }

    [Fact]
    public void AbbaIsReportedLikeLockdepEvenWithoutADeadlock()
    {
        var checker = new LockOrderChecker();
        Assert.Null(checker.OnAcquire("target-1", "cpu0", IMmap("mmap_region"), [Mmap(at: "mmap_region")], irqsDisabled: false));
        LockReport? report = checker.OnAcquire("inspector-2", "cpu1", Mmap("mm1", at: "shadowpt_open"), [IMmap("shadowpt_open")], irqsDisabled: false);
        Assert.NotNull(report);
        Assert.Equal("circular-locking", report.Kind);
        Assert.Contains("WARNING: possible circular locking dependency detected", report.Text, StringComparison.Ordinal);
        Assert.Contains("inspector-2 (cpu1) is trying to acquire lock:\n (mm1->mmap_lock){mm->mmap_lock}, at: shadowpt_open", report.Text, StringComparison.Ordinal);
        Assert.Contains("but task is already holding lock:\n (file1->i_mmap_rwsem){mapping->i_mmap_rwsem}, at: shadowpt_open", report.Text, StringComparison.Ordinal);
        Assert.Contains("  lock(mm->mmap_lock);\n                               lock(mapping->i_mmap_rwsem);\n                               lock(mm->mmap_lock);\n  lock(mapping->i_mmap_rwsem);", report.Text, StringComparison.Ordinal);
        Assert.Contains("*** DEADLOCK ***", report.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void ATakenAgainstTheTableWithoutACycleIsATableViolation()
    {
        var checker = new LockOrderChecker();
        LockReport? report = checker.OnAcquire("t-1", "cpu0", Mmap(), [AnonVma()], irqsDisabled: false);
        Assert.Equal("lock-order-table", report?.Kind);
        Assert.Contains("the lock order table says mm->mmap_lock is taken before anon_vma->rwsem", report!.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void LongerCyclesAreFoundThroughRecordedEdges()
    {
        var checker = new LockOrderChecker();
        Assert.Null(checker.OnAcquire("a-1", "cpu0", IMmap(), [Mmap()], false));
        Assert.Null(checker.OnAcquire("a-1", "cpu0", AnonVma(), [IMmap()], false));
        LockReport? report = checker.OnAcquire("b-2", "cpu1", Mmap("mm9"), [AnonVma()], false);
        Assert.Equal("circular-locking", report?.Kind);
        Assert.Contains("-> #2 (anon_vma->rwsem): taken at rmap_walk_anon while holding (mapping->i_mmap_rwsem) [a-1]\n-> #1 (mapping->i_mmap_rwsem): taken at unmap_mapping_range while holding (mm->mmap_lock) [a-1]\n-> #0 (mm->mmap_lock): taken at do_user_addr_fault [a-1]", report!.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void RecursiveAndUnannotatedSameClassNestingAreReported()
    {
        var checker = new LockOrderChecker();
        Assert.Equal("recursive-locking", checker.OnAcquire("t-1", "cpu0", Mmap("mm1"), [Mmap("mm1")], false)?.Kind);
        Assert.Equal("recursive-locking", checker.OnAcquire("t-1", "cpu0", Mmap("mm2"), [Mmap("mm1")], false)?.Kind);
        Assert.Null(checker.OnAcquire("t-1", "cpu0", Mmap("mm2", subclass: 1, at: "dup_mmap"), [Mmap("mm1", at: "dup_mmap")], false));
        Assert.Equal("recursive-locking", checker.OnAcquire("t-1", "cpu0", Shadow(), [Shadow()], false)?.Kind);
    }

    [Fact]
    public void SleepingLocksInAtomicContextAreBugs()
    {
        var checker = new LockOrderChecker();
        LockReport? underSpin = checker.OnAcquire("t-1", "cpu0", Mmap(), [Ptl()], irqsDisabled: false);
        Assert.Equal("sleep-in-atomic", underSpin?.Kind);
        Assert.Contains("BUG: sleeping function called from invalid context", underSpin!.Text, StringComparison.Ordinal);
        Assert.Contains("holding spinlock: (ptl 7) at handle_pte_fault", underSpin.Text, StringComparison.Ordinal);
        Assert.Equal("sleep-in-atomic", checker.OnAcquire("t-1", "cpu0", Mmap(), [], irqsDisabled: true)?.Kind);
        Assert.Null(checker.OnAcquire("t-1", "cpu0", Ptl(), [], irqsDisabled: true));
    }
}
