namespace ShadowPt.Kernel.Programs;

/// <summary>
/// Starts write tracking in user space, as a process does it for itself: install a SIGSEGV handler
/// (rt_sigaction), read /proc/self/maps, and mprotect(PROT_READ) every writable mapping but the
/// stack. From then on the first write to each page raises SIGSEGV (SEGV_ACCERR); the handler records
/// the page, mprotects it back to its old protection and returns, and the write is retried.
/// </summary>
public sealed record MprotectTrackStep : ProgramStep
{
    public override string Text => "track-writes(mprotect)";
}

/// <summary>
/// The write-tracking monitor of userfaultfd WP on descriptor <see cref="Uffd"/>: reads messages until
/// an UNMAP event (the target's end-of-tracking signal) or EOF; for each WP page fault it records the
/// page and clears its protection with UFFDIO_WRITEPROTECT mode 0, which wakes the writer.
/// </summary>
public sealed record UffdWpMonitorStep(int Uffd) : ProgramStep
{
    public override string Text => $"uffd-wp-monitor(uffd {Uffd})";
}
