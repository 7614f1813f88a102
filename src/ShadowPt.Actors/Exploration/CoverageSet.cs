using System.Globalization;

namespace ShadowPt.Exploration;

/// <summary>
/// Coverage of a whole exploration: distinct abstract states and distinct orderings of conflicting
/// deliveries, added batch by batch in schedule-index order (so the figures do not depend on the number
/// of workers), with how much each batch found that was new.
/// </summary>
public sealed class CoverageSet
{
    /// <summary>Most distinct hashes kept per kind (about 40 MB of sets); past it, counts stop growing and say so.</summary>
    public const int HashesMax = 1 << 21;

    /// <summary>Batches remembered for "new in the last N schedules".</summary>
    private const int HistoryMax = 4096;

    private readonly HashSet<ulong> _states = new();

    private readonly HashSet<ulong> _orderings = new();

    /// <summary>(schedules, new hashes) of the most recent batches, oldest first.</summary>
    private readonly Queue<(long Schedules, long New)> _history = new();

    public int States => _states.Count;

    public int Orderings => _orderings.Count;

    /// <summary>True once a set reached <see cref="HashesMax"/>: the counts are then lower bounds.</summary>
    public bool Saturated => _states.Count >= HashesMax || _orderings.Count >= HashesMax;

    /// <summary>Adds one batch's states and orderings; returns the hashes of each kind that were new, in the order given.</summary>
    public (List<ulong> States, List<ulong> Orderings) AddBatch(long schedules, IEnumerable<ulong> states, IEnumerable<ulong> orderings)
    {
        ArgumentNullException.ThrowIfNull(states);
        ArgumentNullException.ThrowIfNull(orderings);
        List<ulong> newStates = AddAll(_states, states);
        List<ulong> newOrderings = AddAll(_orderings, orderings);
        _history.Enqueue((schedules, newStates.Count + newOrderings.Count));
        if (_history.Count > HistoryMax)
        {
            _history.Dequeue();
        }

        return (newStates, newOrderings);
    }

    /// <summary>New states and orderings in the most recent batches covering at least <paramref name="schedules"/> schedules (as many as remembered).</summary>
    public (long New, long Schedules) NewInLast(long schedules)
    {
        long found = 0;
        long covered = 0;
        foreach ((long s, long n) in _history.Reverse())
        {
            if (covered >= schedules)
            {
                break;
            }

            covered += s;
            found += n;
        }

        return (found, covered);
    }

    /// <summary>Adds hashes already known to be part of the campaign (a journal read back, another shard), without history.</summary>
    public void AddKnown(IEnumerable<ulong> states, IEnumerable<ulong> orderings)
    {
        AddAll(_states, states);
        AddAll(_orderings, orderings);
    }

    /// <summary>One line for the summary: "coverage: 812 abstract states, 2,410 orderings, new in last 1000 schedules: 35".</summary>
    public string Describe(long window = 1000)
    {
        (long n, long covered) = NewInLast(window);
        string bound = Saturated ? " (at the limit: lower bounds)" : string.Empty;
        return string.Create(CultureInfo.InvariantCulture, $"coverage: {States} abstract states, {Orderings} orderings of conflicting deliveries, new in last {covered} schedules: {n}{bound}");
    }

    private static List<ulong> AddAll(HashSet<ulong> set, IEnumerable<ulong> hashes)
    {
        var added = new List<ulong>();
        foreach (ulong h in hashes)
        {
            if (set.Count < HashesMax && set.Add(h))
            {
                added.Add(h);
            }
        }

        return added;
    }
}
