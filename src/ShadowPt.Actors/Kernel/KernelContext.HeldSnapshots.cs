namespace ShadowPt.Kernel;

/// <summary>
/// The held-lock lists lock events carry. A lock operation raises three events (acquiring, acquired,
/// released) and the list after a release is usually the one before the acquire, so the last two
/// lists made are kept and handed out again when the locks held are the same. A list is never
/// changed once made (observers keep them: the deadlock checker's tracker does), so sharing one
/// between events is sharing equal values.
/// </summary>
public sealed partial class KernelContext
{
    /// <summary>The two held-lock lists made last (the most recent first), or null.</summary>
    private LockUse[]? _recentHeld0;

    private LockUse[]? _recentHeld1;

    /// <summary>What the running path holds now, outermost first, as an immutable list.</summary>
    private LockUse[] HeldSnapshot()
    {
        if (_held.Count == 0)
        {
            return [];
        }

        if (HoldsExactly(_recentHeld0))
        {
            return _recentHeld0!;
        }

        if (HoldsExactly(_recentHeld1))
        {
            (_recentHeld0, _recentHeld1) = (_recentHeld1, _recentHeld0);
            return _recentHeld0!;
        }

        var held = new LockUse[_held.Count];
        for (int i = 0; i < held.Length; i++)
        {
            held[i] = HeldAt(i);
        }

        (_recentHeld0, _recentHeld1) = (held, _recentHeld0);
        return held;
    }

    /// <summary>Whether <paramref name="list"/> is, entry for entry, what the path holds now.</summary>
    private bool HoldsExactly(LockUse[]? list)
    {
        if (list is null || list.Length != _held.Count)
        {
            return false;
        }

        for (int i = 0; i < list.Length; i++)
        {
            if (list[i] != HeldAt(i))
            {
                return false;
            }
        }

        return true;
    }

    private LockUse HeldAt(int i) => new(_held[i].Lock, _held[i].Mode, _heldMeta[i].Subclass, _heldMeta[i].Place);
}
