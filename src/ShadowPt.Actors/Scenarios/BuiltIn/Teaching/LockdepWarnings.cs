using System.Globalization;
using ShadowPt.Checking;
using ShadowPt.Kernel;

namespace ShadowPt.Scenarios.BuiltIn.Teaching;

/// <summary>
/// lockdep as a warning: the same <see cref="LockOrderChecker"/> as <see cref="LockdepObserver"/>, but its
/// reports are kept, not made the run's violation, so a teaching run goes on to the deadlock lockdep
/// warned about (as a kernel with CONFIG_PROVE_LOCKING prints the splat and carries on).
/// </summary>
public sealed class LockdepWarnings : KernelObserver
{
    /// <summary>Most warnings kept.</summary>
    public const int WarningsMax = 16;

    private readonly LockOrderChecker _checker = new();
    private readonly List<string> _warnings = new();

    /// <summary>The reports so far, oldest first.</summary>
    public IReadOnlyList<string> Warnings => _warnings;

    public override void LockAcquiring(LockEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (_warnings.Count >= WarningsMax)
        {
            return;
        }

        string task = string.Create(CultureInfo.InvariantCulture, $"pid {e.Pid}");
        LockReport? report = _checker.OnAcquire(task, e.Cpu.ToString(), ToHeld(e.Lock), e.Held.Select(ToHeld).ToArray(), e.IrqsDisabled);
        if (report is not null)
        {
            _warnings.Add(string.Create(CultureInfo.InvariantCulture, $"lockdep ({report.Kind}) at step {e.Step}:\n{report.Text}"));
        }
    }

    private static HeldLock ToHeld(LockUse use) => new(use.Lock.Class, use.Lock.Name, use.Subclass, use.Place);
}
