namespace ShadowPt.Kernel;

/// <summary>What the hardware page walker writes.</summary>
public sealed partial class PageTable
{
    /// <summary>
    /// The walker setting accessed (and dirty) in a present PTE: a locked read-modify-write of bits no
    /// kernel writer owns, so not a kernel store for the race checker (ASSERT_EXCLUSIVE_BITS of the
    /// kernel's writers leaves them out).
    /// </summary>
    public void SetPteAccessFlags(VirtAddr address, Pte pte)
    {
        AccessInstrumentation? kcsan = _frames.Instrumentation;
        kcsan?.EnterHardware();
        try
        {
            SetPteAt(address, pte);
        }
        finally
        {
            kcsan?.ExitHardware();
        }
    }
}
