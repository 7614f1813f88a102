using ShadowPt.Kernel;
using ShadowPt.Runtime;

namespace ShadowPt.Checking;

/// <summary>The per-word histories and the race check of each access.</summary>
public sealed partial class RaceDetector
{
    public override void MemoryAccessed(in MemoryAccess access)
    {
        if (Report is not null)
        {
            return;
        }

        AccessesChecked++;
        int cpu = access.Cpu.Value;
        VectorClock now = _cpus[cpu];
        WordHistory word = History(access);
        var current = new StampedAccess(now[cpu], access);
        if (word.LastWrite is StampedAccess write && Concurrent(write, now) && Conflict(write.Access, access) && Reportable(write.Access, access))
        {
            Found(write, current, now);
            return;
        }

        if (access.Write && FirstConcurrentRead(word, now, access) is StampedAccess read && Reportable(read.Access, access))
        {
            Found(read, current, now);
            return;
        }

        word.Record(current, _cpus.Length);
    }

    /// <summary>Whether an access of another CPU, stamped <paramref name="earlier"/>, did not happen before <paramref name="now"/>.</summary>
    private static bool Concurrent(StampedAccess earlier, VectorClock now) => !now.Covers(earlier.Access.Cpu.Value, earlier.Epoch);

    /// <summary>KCSAN's rule, with ASSERT_EXCLUSIVE_WRITER: two concurrent accesses race when one writes and one is plain, or both write and one asserts it writes alone.</summary>
    internal static bool Conflict(in MemoryAccess earlier, in MemoryAccess later)
    {
        if (!earlier.Write && !later.Write)
        {
            return false;
        }

        if (earlier.Marking == AccessMarking.Plain || later.Marking == AccessMarking.Plain)
        {
            return true;
        }

        return earlier.Write && later.Write
            && (earlier.Marking == AccessMarking.MarkedExclusiveWriter || later.Marking == AccessMarking.MarkedExclusiveWriter);
    }

    /// <summary>
    /// CONFIG_KCSAN_REPORT_VALUE_CHANGE_ONLY (on by default in Linux): a race whose write left the word
    /// as it was is not reported, unless one side asserted exclusive writing.
    /// </summary>
    private bool Reportable(in MemoryAccess earlier, in MemoryAccess later)
    {
        if (!ReportValueChangeOnly || earlier.Marking == AccessMarking.MarkedExclusiveWriter || later.Marking == AccessMarking.MarkedExclusiveWriter)
        {
            return true;
        }

        return later.Write ? later.OldValue != later.NewValue : earlier.OldValue != earlier.NewValue;
    }

    private StampedAccess? FirstConcurrentRead(WordHistory word, VectorClock now, in MemoryAccess write)
    {
        for (int d = 0; d < _cpus.Length; d++)
        {
            foreach (StampedAccess? read in (ReadOnlySpan<StampedAccess?>)[word.PlainReads?[d], word.MarkedReads?[d]])
            {
                if (read is StampedAccess r && Concurrent(r, now) && Conflict(r.Access, write))
                {
                    return r;
                }
            }
        }

        return null;
    }

    /// <summary>The history of the word <paramref name="access"/> touches; a new one when the frame was reallocated since.</summary>
    private WordHistory History(in MemoryAccess access)
    {
        ulong key = (access.Frame.Value << PageGeometry.PageShift) | (uint)(access.Offset & ~(sizeof(ulong) - 1));
        if (!_words.TryGetValue(key, out WordHistory? word))
        {
            if (_words.Count >= WordsMax)
            {
                _words.Clear();
            }

            word = new WordHistory(access.Generation);
            _words.Add(key, word);
        }
        else if (word.Generation != access.Generation)
        {
            word.Reset(access.Generation); // freed and allocated again since: the old accesses were to another object
        }

        return word;
    }

    private void Found(StampedAccess earlier, StampedAccess later, VectorClock now)
    {
        Report = RaceReport.Build(_state, earlier, later, now);
        _system.ReportViolation(new Violation(Kind, Report.Text, _system.Steps, _system.Now));
    }
}
