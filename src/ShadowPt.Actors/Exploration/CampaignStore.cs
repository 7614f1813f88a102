using System.Globalization;
using System.Text.Json;
using ShadowPt.Runtime.Recording;
using ShadowPt.Scenarios;

namespace ShadowPt.Exploration;

/// <summary>
/// What makes two campaign directories the same campaign (everything that decides which schedules run and
/// what they do): scenario reference and content hash, strategy, seed, schedule budget, checks, steps bound
/// and batch size. Workers and time budget are not part of it: they change how fast, not what.
/// </summary>
public sealed record CampaignIdentity(string Scenario, string? ScenarioHash, string Strategy, ulong Seed, long Schedules, string? Checks, long? StepsMax, int BatchSize)
{
    public static CampaignIdentity Of(Scenario scenario, ExploreOptions options)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(options);
        string? checks = options.Checks is null ? null : string.Join(',', options.Checks.Order(StringComparer.Ordinal));
        return new CampaignIdentity(scenario.Reference, scenario.ContentHash, options.Strategy, options.Seed, options.Schedules, checks, options.StepsMax, Explorer.BatchSize);
    }

    /// <summary>The first field that differs from <paramref name="other"/>, as "--seed 1, not 2", or null when equal.</summary>
    public string? Difference(CampaignIdentity other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Scenario != other.Scenario ? $"scenario {Scenario}, not {other.Scenario}"
            : ScenarioHash != other.ScenarioHash ? $"scenario content hash {ScenarioHash ?? "(built-in)"}, not {other.ScenarioHash ?? "(built-in)"} (the scenario file changed)"
            : Strategy != other.Strategy ? $"--strategy {Strategy}, not {other.Strategy}"
            : Seed != other.Seed ? string.Create(CultureInfo.InvariantCulture, $"--seed {Seed}, not {other.Seed}")
            : Schedules != other.Schedules ? string.Create(CultureInfo.InvariantCulture, $"--schedules {Schedules}, not {other.Schedules}")
            : Checks != other.Checks ? $"checks {Checks ?? "(scenario's)"}, not {other.Checks ?? "(scenario's)"}"
            : StepsMax != other.StepsMax ? string.Create(CultureInfo.InvariantCulture, $"steps-max {StepsMax?.ToString(CultureInfo.InvariantCulture) ?? "(default)"}, not {other.StepsMax?.ToString(CultureInfo.InvariantCulture) ?? "(default)"}")
            : BatchSize != other.BatchSize ? string.Create(CultureInfo.InvariantCulture, $"batch size {BatchSize}, not {other.BatchSize}")
            : null;
    }
}

/// <summary>What a campaign directory says is done: finished batches, schedules explored, the first violation.</summary>
public sealed record CampaignState(HashSet<long> Batches, long Explored, long FirstViolationIndex);

/// <summary>
/// A campaign directory: <c>campaign.json</c> (identity and shard), <c>journal.log</c> (one line per
/// finished batch), <c>coverage.log</c> (per finished batch, its trace hashes and new coverage hashes) and
/// <c>violation-INDEX.schedule</c>. Order of writes per batch: violation schedule (temporary file, flush,
/// rename), coverage line, journal line, each flushed to disk before the next: a batch is finished exactly
/// when its journal line is whole, and then everything it refers to is already on disk.
/// </summary>
public sealed class CampaignStore
{
    public const string ManifestName = "campaign.json";
    public const string JournalName = "journal.log";
    public const string CoverageName = "coverage.log";
    private const string Format = "shadowpt-campaign 1";
    private const long ManifestBytesMax = 64 * 1024;

    private CampaignStore(string directory, CampaignIdentity identity, Shard shard)
    {
        Directory = directory;
        Identity = identity;
        Shard = shard;
    }

    public string Directory { get; }

    public CampaignIdentity Identity { get; }

    public Shard Shard { get; }

    private string JournalPath => Path.Combine(Directory, JournalName);

    private string CoveragePath => Path.Combine(Directory, CoverageName);

    public string ViolationPath(long index) => Path.Combine(Directory, string.Create(CultureInfo.InvariantCulture, $"violation-{index}.schedule"));

    /// <summary>Opens (creating it if needed) the campaign in <paramref name="directory"/>; refuses one started with other parameters.</summary>
    public static CampaignStore Open(string directory, CampaignIdentity identity, Shard shard)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(identity);
        System.IO.Directory.CreateDirectory(directory);
        string manifest = Path.Combine(directory, ManifestName);
        if (!File.Exists(manifest))
        {
            CampaignFiles.ReplaceDurably(manifest, Serialize(identity, shard));
            return new CampaignStore(directory, identity, shard);
        }

        CampaignStore existing = OpenExisting(directory);
        if (existing.Identity.Difference(identity) is string difference)
        {
            throw new CampaignException($"{directory}: this campaign was started with {difference}; use the same parameters to resume it or another directory");
        }

        return existing.Shard != shard
            ? throw new CampaignException($"{directory}: this campaign directory holds shard {existing.Shard}, not {shard}")
            : existing;
    }

    /// <summary>Opens an existing campaign directory for reading (merge), validating its manifest.</summary>
    public static CampaignStore OpenExisting(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        string manifest = Path.Combine(directory, ManifestName);
        if (!File.Exists(manifest))
        {
            throw new CampaignException($"{directory}: not a campaign directory (no {ManifestName})");
        }

        if (new FileInfo(manifest).Length > ManifestBytesMax)
        {
            throw new CampaignException($"{manifest}: larger than {ManifestBytesMax} bytes");
        }

        (CampaignIdentity identity, Shard shard) = Deserialize(File.ReadAllText(manifest), manifest);
        return new CampaignStore(directory, identity, shard);
    }

    /// <summary>Reads what is finished (dropping a torn last line, and truncating it away), and fills <paramref name="coverage"/> and <paramref name="traces"/>.</summary>
    public CampaignState Resume(CoverageSet coverage, Dictionary<string, long> traces)
    {
        CampaignState state = Read(coverage, traces);
        CampaignFiles.TruncateTo(JournalPath, CampaignFiles.ReadLines(JournalPath).ValidBytes);
        CampaignFiles.TruncateTo(CoveragePath, CampaignFiles.ReadLines(CoveragePath).ValidBytes);
        return state;
    }

    /// <summary>Reads what is finished without changing any file.</summary>
    public CampaignState Read(CoverageSet coverage, Dictionary<string, long> traces)
    {
        ArgumentNullException.ThrowIfNull(coverage);
        ArgumentNullException.ThrowIfNull(traces);
        var batches = new HashSet<long>();
        long explored = 0;
        long violation = -1;
        long batchesMax = (Identity.Schedules + Identity.BatchSize - 1) / Identity.BatchSize;
        List<string> journal = CampaignFiles.ReadLines(JournalPath).Lines;
        for (int i = 0; i < journal.Count; i++)
        {
            string where = string.Create(CultureInfo.InvariantCulture, $"{JournalPath}:{i + 1}");
            Dictionary<string, string> f = CampaignFiles.Fields(journal[i], where);
            long batch = CampaignFiles.Long(f, "batch", where, 0, batchesMax - 1);
            long ran = CampaignFiles.Long(f, "ran", where, 1, Identity.BatchSize);
            long v = f.GetValueOrDefault("violation") == "-" ? -1 : CampaignFiles.Long(f, "violation", where, batch * Identity.BatchSize, ((batch + 1) * Identity.BatchSize) - 1);
            if (!Shard.Owns(batch) || !batches.Add(batch))
            {
                throw new CampaignException($"{where}: batch {batch} does not belong here (shard {Shard}) or is recorded twice");
            }

            explored += ran;
            if (v >= 0 && (violation < 0 || v < violation))
            {
                violation = v;
            }
        }

        List<string> lines = CampaignFiles.ReadLines(CoveragePath).Lines;
        var covered = new HashSet<long>();
        for (int i = 0; i < lines.Count; i++)
        {
            string where = string.Create(CultureInfo.InvariantCulture, $"{CoveragePath}:{i + 1}");
            Dictionary<string, string> f = CampaignFiles.Fields(lines[i], where);
            long batch = CampaignFiles.Long(f, "batch", where, 0, batchesMax - 1);
            if (!batches.Contains(batch) || !covered.Add(batch))
            {
                // Not in the journal: written before a kill, and the batch runs again. Seen already: the same
                // batch run again after such a kill (runs are deterministic, so the lines are equal).
                continue;
            }

            foreach (ulong t in CampaignFiles.Hashes(f, "t", where))
            {
                string key = t.ToString("x16", CultureInfo.InvariantCulture);
                traces[key] = traces.GetValueOrDefault(key) + 1;
            }

            coverage.AddKnown(CampaignFiles.Hashes(f, "s", where), CampaignFiles.Hashes(f, "o", where));
        }

        if (covered.Count != batches.Count)
        {
            throw new CampaignException($"{CoveragePath}: {batches.Count - covered.Count} batches of the journal have no coverage line: the campaign directory was modified");
        }

        return new CampaignState(batches, explored, violation);
    }

    /// <summary>Makes batch <paramref name="batch"/> durable: its violation's schedule, its coverage, then its journal line.</summary>
    public void Commit(long batch, BatchOutcome outcome, IEnumerable<ulong> newStates, IEnumerable<ulong> newOrderings)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        if (outcome.Violation is RunReport report)
        {
            var text = new StringWriter(CultureInfo.InvariantCulture);
            ScheduleFile.Write(report.Schedule, text);
            CampaignFiles.ReplaceDurably(ViolationPath(outcome.ViolationIndex), text.ToString());
        }

        string traces = string.Join(',', outcome.Traces);
        ulong[] states = [.. newStates];
        ulong[] orderings = [.. newOrderings];
        CampaignFiles.AppendDurably(CoveragePath, CampaignFiles.WithCrc(string.Create(CultureInfo.InvariantCulture, $"batch={batch} t={traces} s={CampaignFiles.HashList(states)} o={CampaignFiles.HashList(orderings)}")));
        string violation = outcome.Violation is null ? "-" : outcome.ViolationIndex.ToString(CultureInfo.InvariantCulture);
        CampaignFiles.AppendDurably(JournalPath, CampaignFiles.WithCrc(string.Create(CultureInfo.InvariantCulture, $"batch={batch} first={outcome.First} ran={outcome.Ran} violation={violation} new-states={states.Length} new-orderings={orderings.Length}")));
    }

    /// <summary>The violating run the journal names, replayed from its saved schedule.</summary>
    public RunReport LoadViolation(Func<Scenario> scenarioFactory, long index)
    {
        ArgumentNullException.ThrowIfNull(scenarioFactory);
        string path = ViolationPath(index);
        try
        {
            return ScenarioRunner.Replay(scenarioFactory(), ScheduleFile.Load(path), null);
        }
        catch (Exception e) when (e is ScheduleFormatException or ScheduleDivergedException)
        {
            throw new CampaignException($"{path}: the journal records a violation at schedule {index}, but its schedule does not replay: {e.Message}", e);
        }
    }

    private static string Serialize(CampaignIdentity id, Shard shard)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("format", Format);
            w.WriteString("scenario", id.Scenario);
            w.WriteString("scenarioHash", id.ScenarioHash);
            w.WriteString("strategy", id.Strategy);
            w.WriteString("seed", id.Seed.ToString(CultureInfo.InvariantCulture));
            w.WriteNumber("schedules", id.Schedules);
            w.WriteString("checks", id.Checks);
            if (id.StepsMax is long s)
            {
                w.WriteNumber("stepsMax", s);
            }
            else
            {
                w.WriteNull("stepsMax");
            }

            w.WriteNumber("batchSize", id.BatchSize);
            w.WriteString("shard", shard.ToString());
            w.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    private static (CampaignIdentity, Shard) Deserialize(string text, string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 4 });
            JsonElement root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("format", out JsonElement format) || format.GetString() != Format)
            {
                throw new CampaignException($"{path}: not a campaign manifest (expected \"format\": \"{Format}\")");
            }

            string Str(string name) => root.TryGetProperty(name, out JsonElement e) && e.ValueKind == JsonValueKind.String
                ? e.GetString()! : throw new CampaignException($"{path}: \"{name}\" is missing or not a string");
            string? OptStr(string name) => root.TryGetProperty(name, out JsonElement e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;
            long Num(string name, long min, long max) => root.TryGetProperty(name, out JsonElement e) && e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out long v) && v >= min && v <= max
                ? v : throw new CampaignException(string.Create(CultureInfo.InvariantCulture, $"{path}: \"{name}\" is missing or not an integer from {min} to {max}"));
            ulong seed = ulong.TryParse(Str("seed"), NumberStyles.None, CultureInfo.InvariantCulture, out ulong s) ? s : throw new CampaignException($"{path}: \"seed\" is not an unsigned integer");
            long? stepsMax = root.TryGetProperty("stepsMax", out JsonElement sm) && sm.ValueKind == JsonValueKind.Number ? Num("stepsMax", 1, long.MaxValue) : null;
            Shard shard = Shard.Parse(Str("shard")) ?? throw new CampaignException($"{path}: \"shard\" is not i/N");
            var identity = new CampaignIdentity(Str("scenario"), OptStr("scenarioHash"), Str("strategy"), seed, Num("schedules", 1, ExploreOptions.SchedulesMax), OptStr("checks"), stepsMax, (int)Num("batchSize", 1, 1 << 20));
            return (identity, shard);
        }
        catch (JsonException e)
        {
            throw new CampaignException($"{path}: not valid JSON ({e.Message.Split('\n')[0]})", e);
        }
    }
}
