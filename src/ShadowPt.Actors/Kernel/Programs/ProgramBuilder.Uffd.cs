namespace ShadowPt.Kernel.Programs;

/// <summary>
/// userfaultfd steps. Together they are the API for user-space write tracking (issue 8 item 6):
/// <see cref="UffdRegister"/> with <see cref="UffdRegisterMode.Wp"/>, <see cref="UffdWriteprotect"/> to
/// arm, <see cref="UffdServe"/> with <see cref="UffdResolve.Writeprotect"/> to take each WP fault
/// message and clear it; the messages read are in <see cref="UserfaultfdCtx.ReadLog"/>.
/// </summary>
public sealed partial class ProgramBuilder
{
    /// <summary>userfaultfd() + UFFDIO_API.</summary>
    public ProgramBuilder Userfaultfd(UffdFeatures features = UffdFeatures.None, ProcessId? by = null) => Add(new UserfaultfdStep(features), by);

    public ProgramBuilder UffdRegister(string label, int pageOffset, int pages, UffdRegisterMode mode, ProcessId? by = null, int uffd = 0) =>
        Add(new UffdRegisterStep(label, pageOffset, pages, mode) { Uffd = uffd }, by);

    public ProgramBuilder UffdUnregister(string label, int pageOffset, int pages, ProcessId? by = null, int uffd = 0) =>
        Add(new UffdUnregisterStep(label, pageOffset, pages) { Uffd = uffd }, by);

    /// <summary>Sends a descriptor to <paramref name="to"/> (SCM_RIGHTS), as CRIU hands it to the monitor.</summary>
    public ProgramBuilder UffdSend(ProcessId to, int uffd = 0, ProcessId? by = null) => Add(new UffdSendStep(to) { Uffd = uffd }, by);

    public ProgramBuilder UffdRecv(ProcessId by) => Add(new UffdRecvStep(), by);

    public ProgramBuilder UffdServe(int count, UffdResolve resolve, byte fill = 0x5a, bool dontWake = false, ProcessId? by = null, int uffd = 0) =>
        Add(new UffdServeStep(count, resolve, fill, dontWake) { Uffd = uffd }, by);

    public ProgramBuilder UffdCopy(string label, int pageOffset, int pages, byte fill, bool dontWake = false, ProcessId? by = null, int uffd = 0) =>
        Add(new UffdCopyStep(label, pageOffset, pages, fill, dontWake) { Uffd = uffd }, by);

    public ProgramBuilder UffdZeropage(string label, int pageOffset, int pages, ProcessId? by = null, int uffd = 0) =>
        Add(new UffdZeropageStep(label, pageOffset, pages) { Uffd = uffd }, by);

    public ProgramBuilder UffdContinue(string label, int pageOffset, int pages, ProcessId? by = null, int uffd = 0) =>
        Add(new UffdContinueStep(label, pageOffset, pages) { Uffd = uffd }, by);

    public ProgramBuilder UffdWake(string label, int pageOffset, int pages, ProcessId? by = null, int uffd = 0) =>
        Add(new UffdWakeStep(label, pageOffset, pages) { Uffd = uffd }, by);

    public ProgramBuilder UffdWriteprotect(string label, int pageOffset, int pages, bool enable, ProcessId? by = null, int uffd = 0) =>
        Add(new UffdWriteprotectStep(label, pageOffset, pages, enable) { Uffd = uffd }, by);
}
