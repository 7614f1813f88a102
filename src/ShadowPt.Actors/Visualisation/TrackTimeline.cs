using ShadowPt.Runtime;

namespace ShadowPt.Visualisation;

/// <summary>
/// The recorded events of a run and the open spans of each track. Spans always nest: closing a span
/// that is not the innermost one closes the spans opened inside it first and reopens them right after
/// (marked <c>continued</c>), as a tracer does when a lock is released out of order.
/// </summary>
internal sealed class TrackTimeline
{
    /// <summary>Deepest span nesting kept per track; deeper spans are dropped (and their ends ignored).</summary>
    private const int DepthMax = 64;

    /// <summary>Every event so far, bounded by <see cref="RunRecording.EventsMax"/>.</summary>
    private readonly List<RecordedEvent> _events = new();

    /// <summary>The tracks by id, in the order they were first used.</summary>
    private readonly SortedDictionary<int, string> _tracks = new();

    /// <summary>The open spans of each track, innermost last: the key that closes it and its begin event.</summary>
    private readonly Dictionary<int, List<(string Key, RecordedEvent Begin)>> _open = new();

    /// <summary>Flow ids handed out so far.</summary>
    private long _flows;

    public long Dropped { get; private set; }

    public IReadOnlyList<RecordedEvent> Events => _events;

    public IReadOnlyList<RecordedTrack> Tracks => [.. _tracks.Select(t => new RecordedTrack(t.Key, t.Value))];

    public bool HasTrack(int id) => _tracks.ContainsKey(id);

    public void AddTrack(int id, string name) => _tracks.TryAdd(id, name);

    public long NewFlow() => ++_flows;

    public void Add(RecordedEvent e)
    {
        if (_events.Count >= RunRecording.EventsMax)
        {
            Dropped++;
            return;
        }

        _events.Add(e);
    }

    /// <summary>Opens span <paramref name="key"/> on the track of <paramref name="begin"/> (a second open of an open key is ignored).</summary>
    public void Begin(string key, RecordedEvent begin)
    {
        List<(string Key, RecordedEvent Begin)> stack = Stack(begin.Track);
        if (stack.Count >= DepthMax || stack.Exists(s => s.Key == key))
        {
            return;
        }

        stack.Add((key, begin));
        Add(begin with { Phase = RecordedPhase.Begin });
    }

    /// <summary>Closes span <paramref name="key"/> of <paramref name="track"/> (no-op when it is not open), keeping the others nested.</summary>
    public void End(int track, string key, long step, Ticks tick, string? ftrace = null, IReadOnlyList<KeyValuePair<string, string>>? fields = null)
    {
        List<(string Key, RecordedEvent Begin)> stack = Stack(track);
        int index = stack.FindLastIndex(s => s.Key == key);
        if (index < 0)
        {
            return;
        }

        var inner = stack.GetRange(index + 1, stack.Count - index - 1);
        for (int i = stack.Count - 1; i >= index; i--)
        {
            RecordedEvent begin = stack[i].Begin;
            bool target = i == index;
            Add(new RecordedEvent(step, tick.Value, track, begin.Pid, RecordedPhase.End, begin.Category, begin.Name)
            {
                Ftrace = target ? ftrace : null,
                Fields = target && fields is not null ? fields : [],
            });
        }

        stack.RemoveRange(index, stack.Count - index);
        foreach ((string innerKey, RecordedEvent begin) in inner)
        {
            RecordedEvent again = begin with
            {
                Step = step, Tick = tick.Value, Ftrace = null,
                Fields = [.. begin.Fields.Where(f => f.Key != "continued"), new("continued", "true")],
            };
            stack.Add((innerKey, again));
            Add(again);
        }
    }

    /// <summary>Whether span <paramref name="key"/> is open on <paramref name="track"/>.</summary>
    public bool IsOpen(int track, string key) => _open.TryGetValue(track, out var stack) && stack.Exists(s => s.Key == key);

    /// <summary>Closes every open span at the end of the run, innermost first.</summary>
    public void CloseAll(long step, Ticks tick)
    {
        foreach ((int track, List<(string Key, RecordedEvent Begin)> stack) in _open.OrderBy(o => o.Key))
        {
            for (int i = stack.Count - 1; i >= 0; i--)
            {
                RecordedEvent begin = stack[i].Begin;
                Add(new RecordedEvent(step, tick.Value, track, begin.Pid, RecordedPhase.End, begin.Category, begin.Name) { Fields = [new("unfinished", "true")] });
            }

            stack.Clear();
        }
    }

    private List<(string Key, RecordedEvent Begin)> Stack(int track)
    {
        if (!_open.TryGetValue(track, out var stack))
        {
            stack = new List<(string Key, RecordedEvent Begin)>();
            _open.Add(track, stack);
        }

        return stack;
    }
}
