using ShadowPt.Kernel;

namespace ShadowPt.Visualisation;

/// <summary>The per-cpu current task (per_cpu(current_task, cpu)) of a recorded run, kept as the changes.</summary>
public sealed partial class RunRecorder
{
    private readonly List<CpuCurrentChange> _currentChanges = [];

    /// <summary>What each CPU ran at the last look, by CPU; null before the first.</summary>
    private CpuCurrentChange?[]? _currentLast;

    private long _currentChangesDropped;

    /// <summary>
    /// Notes every CPU whose current task differs from the last look, as of after step
    /// <paramref name="afterStep"/>. Called between steps only (a delivery about to run, the run's end):
    /// <see cref="CurrentTaskView"/> is a pure read of the per-cpu state.
    /// </summary>
    private void NoteCurrent(long afterStep)
    {
        if (_machine is null)
        {
            return;
        }

        IReadOnlyList<CpuCurrent> now = CurrentTaskView.Of(_machine.State);
        _currentLast ??= new CpuCurrentChange?[now.Count];
        foreach (CpuCurrent c in now)
        {
            CpuCurrentChange? last = _currentLast[c.Cpu.Value];
            if (last is not null && last.Pid == c.Pid && last.Comm == c.Comm)
            {
                continue;
            }

            if (_currentChanges.Count >= RunRecording.CurrentChangesMax)
            {
                _currentChangesDropped++;
                continue;
            }

            var change = new CpuCurrentChange(afterStep, c.Cpu.Value, c.Pid, c.Comm);
            _currentChanges.Add(change);
            _currentLast[c.Cpu.Value] = change;
        }
    }
}
