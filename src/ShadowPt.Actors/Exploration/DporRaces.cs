namespace ShadowPt.Exploration;

/// <summary>
/// The race analysis of source-DPOR over one execution. Happens-before (hb) is the transitive closure of:
/// a message's post before its delivery (the step whose handler posted it), dependent deliveries in
/// execution order (same dependency group, or either one touching other actors), and quiescence:
/// a clock advance happens only when nothing is enabled, so every step before it is before every step
/// after it. Two dependent steps i &lt; j race when i is before j in hb only directly (no step k with
/// i hb k hb j), j's message was not posted by i, and they are in the same time phase.
/// </summary>
internal static class DporRaces
{
    public static void Analyse(List<StepRecord> steps, List<ChoiceNode> stack, int firstNew, DfsOptions options)
    {
        int n = steps.Count;
        if (!options.Reduction || n == 0)
        {
            return;
        }

        int words = (n + 63) >> 6;
        var hb = new ulong[n][];
        var lastByGroup = new Dictionary<int, int>();
        int lastGlobal = -1;
        int phaseStart = 0;
        var candidates = new List<int>();
        for (int j = 0; j < n; j++)
        {
            StepRecord s = steps[j];
            if (j > 0 && s.Phase != steps[j - 1].Phase)
            {
                phaseStart = j;
            }

            var bits = new ulong[words];
            SetBelow(bits, phaseStart);
            if (s.Poster >= 0)
            {
                Join(bits, hb[s.Poster], s.Poster);
            }

            candidates.Clear();
            if (!s.Global)
            {
                int i = Math.Max(lastByGroup.GetValueOrDefault(s.Group, -1), lastGlobal);
                if (i >= 0)
                {
                    candidates.Add(i);
                }
            }
            else
            {
                foreach (int i in lastByGroup.Values)
                {
                    candidates.Add(i);
                }

                if (lastGlobal >= 0 && !candidates.Contains(lastGlobal))
                {
                    candidates.Add(lastGlobal);
                }

                candidates.Sort();
            }

            foreach (int i in candidates)
            {
                Join(bits, hb[i], i);
            }

            hb[j] = bits;
            if (j >= firstNew)
            {
                foreach (int i in candidates)
                {
                    if (i >= phaseStart && s.Poster != i)
                    {
                        Race(steps, stack, hb, i, j, options);
                    }
                }
            }

            lastByGroup[s.Group] = j;
            if (s.Global)
            {
                lastGlobal = j;
            }
        }
    }

    /// <summary>If dependent steps <paramref name="i"/> &lt; <paramref name="j"/> race, makes sure the node before <paramref name="i"/> explores an initial of notdep(i).j.</summary>
    private static void Race(List<StepRecord> steps, List<ChoiceNode> stack, ulong[][] hb, int i, int j, DfsOptions options)
    {
        ulong[] hbj = hb[j];
        for (int k = i + 1; k < j; k++)
        {
            if (Has(hbj, k) && Has(hb[k], i))
            {
                return; // i is before j through k: not a race
            }
        }

        // v = notdep(i, E).j: the steps after i that do not happen after i, then j.
        var v = new ulong[hbj.Length];
        for (int k = i + 1; k < j; k++)
        {
            if (!Has(hb[k], i))
            {
                v[k >> 6] |= 1UL << (k & 63);
            }
        }

        ChoiceNode node = stack[steps[i].Node];
        long? firstCandidate = null;
        long? awake = null;
        for (int w = i + 1; w <= j; w++)
        {
            if (w < j && !Has(v, w))
            {
                continue;
            }

            if (Intersects(hb[w], v, w))
            {
                continue; // not an initial: something earlier in v happens before it
            }

            long id = steps[w].Id;
            int index = node.IndexOf(id);
            if (index < 0)
            {
                continue; // not enabled before i (i enabled it): this order cannot be reversed from there
            }

            if (node.Backtrack.Contains(id))
            {
                return; // an initial is already to be explored
            }

            if (options.PreemptionBound is int bound && node.PreemptionsBefore + (node.IsPreemption(index) ? 1 : 0) > bound)
            {
                node.Pruned.Add(id);
                continue;
            }

            firstCandidate ??= id;
            if (awake is null && !node.Sleep.ContainsKey(id))
            {
                awake = id;
            }
        }

        if ((awake ?? firstCandidate) is long chosen)
        {
            node.Backtrack.Add(chosen);
        }
    }

    private static bool Has(ulong[] bits, int index) => (bits[index >> 6] & (1UL << (index & 63))) != 0;

    /// <summary>Whether <paramref name="a"/> and <paramref name="b"/> share a bit below <paramref name="limit"/>.</summary>
    private static bool Intersects(ulong[] a, ulong[] b, int limit)
    {
        int full = limit >> 6;
        for (int w = 0; w < full; w++)
        {
            if ((a[w] & b[w]) != 0)
            {
                return true;
            }
        }

        int rest = limit & 63;
        return rest != 0 && (a[full] & b[full] & ((1UL << rest) - 1)) != 0;
    }

    /// <summary>bits |= other, plus bit <paramref name="index"/>.</summary>
    private static void Join(ulong[] bits, ulong[] other, int index)
    {
        for (int w = 0; w < other.Length && w < bits.Length; w++)
        {
            bits[w] |= other[w];
        }

        bits[index >> 6] |= 1UL << (index & 63);
    }

    /// <summary>Sets bits [0, <paramref name="count"/>).</summary>
    private static void SetBelow(ulong[] bits, int count)
    {
        int full = count >> 6;
        for (int w = 0; w < full; w++)
        {
            bits[w] = ulong.MaxValue;
        }

        if ((count & 63) != 0)
        {
            bits[full] |= (1UL << (count & 63)) - 1;
        }
    }
}
