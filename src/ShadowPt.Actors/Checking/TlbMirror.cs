using ShadowPt.Kernel;

namespace ShadowPt.Checking;

/// <summary>
/// One translation cached in a CPU's TLB, as the TLB-coherence checker mirrors it: when it was filled,
/// the first PTE write after that which it no longer matches, and the completed shootdown that had
/// to drop it.
/// </summary>
internal sealed class CachedTranslation(CpuId cpu, TlbEntry entry, int pid, long filledStep)
{
    public CpuId Cpu { get; } = cpu;

    public TlbEntry Entry { get; } = entry;

    /// <summary>The task whose access filled it.</summary>
    public int Pid { get; } = pid;

    public long FilledStep { get; } = filledStep;

    /// <summary>The page the translation is for.</summary>
    public VirtAddr Address => VirtAddr.FromVpn(Entry.Vpn);

    /// <summary>The first PTE write since the fill that the translation no longer matches: from then on a flush is owed.</summary>
    public PteChange? Invalidation { get; set; }

    /// <summary>A completed shootdown, started after <see cref="Invalidation"/>, that covered the page: the entry had to be gone.</summary>
    public TlbShootdown? FlushedBy { get; set; }

    /// <summary>The TLB no longer holds it.</summary>
    public bool Dropped { get; set; }
}

/// <summary>
/// What the TLB-coherence checker knows, built from events only (so it is the same on either
/// scheduler): every CPU's TLB, the PTEs as last written, which PTEs and translations map each frame,
/// each CPU's flush generation per mm and the newest shootdown that skipped it.
/// </summary>
internal sealed class TlbMirror
{
    /// <summary>Each CPU's cached translations by (mm, vpn).</summary>
    private readonly Dictionary<(MmId Mm, ulong Vpn), CachedTranslation>[] _tlbs;

    /// <summary>Cached translations of a page, on any CPU.</summary>
    private readonly Dictionary<(MmId Mm, ulong Vpn), List<CachedTranslation>> _byPage = new();

    /// <summary>Cached translations to a frame, on any CPU.</summary>
    private readonly Dictionary<Pfn, List<CachedTranslation>> _byPfn = new();

    /// <summary>The last write of every PTE ever written (a cleared one keeps the write that cleared it).</summary>
    private readonly Dictionary<(MmId Mm, ulong Vpn), PteChange> _ptes = new();

    /// <summary>Present PTEs by the frame they map.</summary>
    private readonly Dictionary<Pfn, List<(MmId Mm, ulong Vpn)>> _mappers = new();

    /// <summary>Per frame, the last PTE write that made a PTE map it.</summary>
    private readonly Dictionary<Pfn, PteChange> _lastMapped = new();

    /// <summary>Per frame, the last PTE write that made a PTE stop mapping it.</summary>
    private readonly Dictionary<Pfn, PteChange> _lastUnmapped = new();

    /// <summary>Per frame, its last free.</summary>
    private readonly Dictionary<Pfn, Provenance> _lastFreed = new();

    /// <summary>(cpu, mm) → the generation the CPU's TLB is up to date with.</summary>
    private readonly Dictionary<(CpuId Cpu, MmId Mm), long> _localGen = new();

    /// <summary>(cpu, mm) → the newest generation whose shootdown did not flush that CPU.</summary>
    private readonly Dictionary<(CpuId Cpu, MmId Mm), long> _missedGen = new();

    public TlbMirror(int cpus)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cpus);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(cpus, CpuMask.CpusMax);
        _tlbs = new Dictionary<(MmId, ulong), CachedTranslation>[cpus];
        for (int i = 0; i < cpus; i++)
        {
            _tlbs[i] = new();
        }
    }

    public int Cpus => _tlbs.Length;

    /// <summary>Translations cached now, over all CPUs.</summary>
    public int TranslationCount => _tlbs.Sum(t => t.Count);

    /// <summary>The PTE of (<paramref name="mm"/>, <paramref name="vpn"/>) as last written; none when never written.</summary>
    public Pte PteOf(MmId mm, ulong vpn) => _ptes.TryGetValue((mm, vpn), out PteChange? change) ? change.New : Pte.None;

    /// <summary>The last write of the PTE, or null.</summary>
    public PteChange? LastWrite(MmId mm, ulong vpn) => _ptes.GetValueOrDefault((mm, vpn));

    /// <summary>What <paramref name="cpu"/>'s TLB caches for the page, or null.</summary>
    public CachedTranslation? Cached(CpuId cpu, MmId mm, ulong vpn) => _tlbs[cpu.Value].GetValueOrDefault((mm, vpn));

    /// <summary>Every cached translation of <paramref name="cpu"/>, in no particular order.</summary>
    public IEnumerable<CachedTranslation> CachedOn(CpuId cpu) => _tlbs[cpu.Value].Values;

    /// <summary>The cached translations of a page.</summary>
    public IReadOnlyList<CachedTranslation> CachedForPage(MmId mm, ulong vpn) =>
        _byPage.TryGetValue((mm, vpn), out List<CachedTranslation>? list) ? list : [];

    /// <summary>The cached translations to a frame.</summary>
    public IReadOnlyList<CachedTranslation> CachedForFrame(Pfn pfn) =>
        _byPfn.TryGetValue(pfn, out List<CachedTranslation>? list) ? list : [];

    /// <summary>The present PTEs that map a frame.</summary>
    public IReadOnlyList<(MmId Mm, ulong Vpn)> MappersOf(Pfn pfn) =>
        _mappers.TryGetValue(pfn, out List<(MmId, ulong)>? list) ? list : [];

    /// <summary>The last PTE write that mapped the frame, or null.</summary>
    public PteChange? LastMapped(Pfn pfn) => _lastMapped.GetValueOrDefault(pfn);

    /// <summary>The last PTE write that unmapped the frame, or null.</summary>
    public PteChange? LastUnmapped(Pfn pfn) => _lastUnmapped.GetValueOrDefault(pfn);

    /// <summary>The frame's last free, or null.</summary>
    public Provenance? LastFreed(Pfn pfn) => _lastFreed.TryGetValue(pfn, out Provenance who) ? who : null;

    public void Free(Pfn pfn, Provenance who) => _lastFreed[pfn] = who;

    public long LocalGen(CpuId cpu, MmId mm) => _localGen.GetValueOrDefault((cpu, mm));

    public long MissedGen(CpuId cpu, MmId mm) => _missedGen.GetValueOrDefault((cpu, mm));

    /// <summary>
    /// Whether the CPU may still use its translations of <paramref name="mm"/> without flushing first.
    /// A CPU that a shootdown skipped (lazy, or not in mm_cpumask) is behind the generation and flushes
    /// the whole mm before it uses the mm again (switch_mm's check, or a full flush_tlb_func); until it
    /// catches up, what it caches for the mm is dead.
    /// </summary>
    public bool IsLive(CpuId cpu, MmId mm) => MissedGen(cpu, mm) <= LocalGen(cpu, mm);

    /// <summary>Records a PTE write; returns the translations of the page it leaves mismatched for the first time.</summary>
    public List<CachedTranslation>? WritePte(PteChange change, Func<Pfn, bool> tracked)
    {
        var key = (change.Mm, change.Address.Vpn);
        _ptes[key] = change;
        bool oldMaps = change.Old.IsPresent && tracked(change.Old.Pfn);
        bool newMaps = change.New.IsPresent && tracked(change.New.Pfn);
        if (!(oldMaps && newMaps && change.Old.Pfn == change.New.Pfn))
        {
            if (oldMaps)
            {
                Remove(_mappers, change.Old.Pfn, key);
                _lastUnmapped[change.Old.Pfn] = change;
            }

            if (newMaps)
            {
                Add(_mappers, change.New.Pfn, key);
                _lastMapped[change.New.Pfn] = change;
            }
        }

        List<CachedTranslation>? invalidated = null;
        foreach (CachedTranslation t in CachedForPage(change.Mm, change.Address.Vpn))
        {
            if (t.Invalidation is null && !Allows(change.New, t.Entry, t.Entry.Writable))
            {
                t.Invalidation = change;
                (invalidated ??= new()).Add(t);
            }
        }

        return invalidated;
    }

    /// <summary>Records a fill; the translation is invalidated at once when the PTE changed between the page walk and the fill.</summary>
    public CachedTranslation Fill(TlbEntryChange e)
    {
        var key = (e.Entry.Mm, e.Entry.Vpn);
        Bug.On(_tlbs[e.Cpu.Value].ContainsKey(key), $"tlb mirror: {e.Cpu} fills {e.Entry} twice");
        var t = new CachedTranslation(e.Cpu, e.Entry, e.Pid, e.Step);
        if (!Allows(PteOf(e.Entry.Mm, e.Entry.Vpn), e.Entry, e.Entry.Writable))
        {
            t.Invalidation = _ptes.GetValueOrDefault(key);
        }

        _tlbs[e.Cpu.Value].Add(key, t);
        Add(_byPage, key, t);
        Add(_byPfn, e.Entry.Pfn, t);
        return t;
    }

    /// <summary>Records a drop; the TLB must have held exactly that translation.</summary>
    public void Drop(TlbEntryChange e)
    {
        var key = (e.Entry.Mm, e.Entry.Vpn);
        bool held = _tlbs[e.Cpu.Value].Remove(key, out CachedTranslation? t);
        Bug.On(!held || t!.Entry != e.Entry, $"tlb mirror: {e.Cpu} drops {e.Entry} it does not cache");
        t!.Dropped = true;
        Remove(_byPage, key, t);
        Remove(_byPfn, t.Entry.Pfn, t);
    }

    public void SeeGen(CpuId cpu, MmId mm, long gen)
    {
        if (!_localGen.TryGetValue((cpu, mm), out long seen) || gen > seen)
        {
            _localGen[(cpu, mm)] = gen;
        }
    }

    /// <summary>A shootdown started: every CPU that knows the mm and does not flush for it is now behind.</summary>
    public void StartShootdown(TlbShootdown shootdown)
    {
        for (int i = 0; i < Cpus; i++)
        {
            var cpu = new CpuId(i);
            if (!shootdown.Flushes(cpu) && _localGen.ContainsKey((cpu, shootdown.Mm)) && shootdown.TlbGen > MissedGen(cpu, shootdown.Mm))
            {
                _missedGen[(cpu, shootdown.Mm)] = shootdown.TlbGen;
            }
        }
    }

    /// <summary>Whether <paramref name="pte"/> allows the cached translation, for a write when <paramref name="write"/>.</summary>
    public static bool Allows(Pte pte, TlbEntry entry, bool write) =>
        pte.IsUser && pte.Pfn == entry.Pfn && (!write || pte.IsWrite);

    private static void Add<TKey, TValue>(Dictionary<TKey, List<TValue>> index, TKey key, TValue value)
        where TKey : notnull
    {
        if (!index.TryGetValue(key, out List<TValue>? list))
        {
            list = new List<TValue>(1);
            index.Add(key, list);
        }

        list.Add(value);
    }

    private static void Remove<TKey, TValue>(Dictionary<TKey, List<TValue>> index, TKey key, TValue value)
        where TKey : notnull
    {
        bool found = index.TryGetValue(key, out List<TValue>? list) && list.Remove(value);
        Bug.On(!found, $"tlb mirror: {value} is not indexed under {key}");
        if (list!.Count == 0)
        {
            index.Remove(key);
        }
    }
}
