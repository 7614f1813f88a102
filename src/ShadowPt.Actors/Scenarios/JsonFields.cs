using System.Globalization;
using System.Text.Json;

namespace ShadowPt.Scenarios;

/// <summary>
/// Reads one JSON object field by field with a path for every error, and rejects the fields nobody
/// asked for: scenario files are untrusted input.
/// </summary>
internal sealed class JsonFields
{
    /// <summary>Longest string value accepted.</summary>
    public const int StringLengthMax = 256;

    private readonly JsonElement _element;
    private readonly string _source;
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public JsonFields(JsonElement element, string source, string path)
    {
        _source = source;
        Path = path;
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw Error(path, "must be an object");
        }

        _element = element;
    }

    public string Path { get; }

    /// <summary>The file the object came from, for error messages.</summary>
    public string Source => _source;

    public ScenarioFormatException Error(string path, string reason) => new($"{_source}: {path}: {reason}");

    public string At(string name) => Path + "." + name;

    public bool Has(string name) => _element.TryGetProperty(name, out _);

    public JsonElement? Raw(string name)
    {
        _read.Add(name);
        return _element.TryGetProperty(name, out JsonElement value) && value.ValueKind != JsonValueKind.Null ? value : null;
    }

    public string? String(string name, bool required = false)
    {
        JsonElement? v = Raw(name);
        if (v is null)
        {
            return required ? throw Error(At(name), "is required") : null;
        }

        if (v.Value.ValueKind != JsonValueKind.String)
        {
            throw Error(At(name), "must be a string");
        }

        string s = v.Value.GetString()!;
        if (s.Length > StringLengthMax || s.Any(char.IsControl))
        {
            throw Error(At(name), $"must be at most {StringLengthMax} printable characters");
        }

        return s;
    }

    /// <summary>A word of letters, digits, '-' and '_', as names must be.</summary>
    public string? Name(string name, bool required = false)
    {
        string? s = String(name, required);
        if (s is not null && (s.Length == 0 || s.Length > 48 || !s.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
        {
            throw Error(At(name), "must be 1 to 48 letters, digits, '-' or '_'");
        }

        return s;
    }

    public long Long(string name, long min, long max, long fallback)
    {
        JsonElement? v = Raw(name);
        if (v is null)
        {
            return fallback;
        }

        return v.Value.ValueKind == JsonValueKind.Number && v.Value.TryGetInt64(out long n) && n >= min && n <= max
            ? n
            : throw Error(At(name), $"must be an integer from {min} to {max}");
    }

    public int Int(string name, int min, int max, int fallback) => (int)Long(name, min, max, fallback);

    public int RequiredInt(string name, int min, int max)
    {
        if (Raw(name) is null)
        {
            throw Error(At(name), "is required");
        }

        return Int(name, min, max, 0);
    }

    public bool Bool(string name, bool fallback)
    {
        JsonElement? v = Raw(name);
        return v is null ? fallback
            : v.Value.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.Value.GetBoolean()
            : throw Error(At(name), "must be true or false");
    }

    /// <summary>An address: an integer or a "0x…" hex string, page aligned, below the user address limit.</summary>
    public ulong Address(string name, ulong limit)
    {
        JsonElement? v = Raw(name) ?? throw Error(At(name), "is required");
        ulong value;
        if (v.Value.ValueKind == JsonValueKind.Number && v.Value.TryGetUInt64(out ulong n))
        {
            value = n;
        }
        else if (v.Value.ValueKind == JsonValueKind.String && v.Value.GetString() is string s && s.StartsWith("0x", StringComparison.Ordinal)
            && s.Length <= 18 && ulong.TryParse(s.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong h))
        {
            value = h;
        }
        else
        {
            throw Error(At(name), "must be an address: an integer or a \"0x...\" hex string");
        }

        return value % 4096 == 0 && value < limit ? value : throw Error(At(name), $"must be page aligned and below 0x{limit:x}");
    }

    public IReadOnlyList<JsonElement> Array(string name, int max, bool required = false)
    {
        JsonElement? v = Raw(name);
        if (v is null)
        {
            return required ? throw Error(At(name), "is required") : [];
        }

        if (v.Value.ValueKind != JsonValueKind.Array)
        {
            throw Error(At(name), "must be an array");
        }

        int length = v.Value.GetArrayLength();
        return length <= max ? v.Value.EnumerateArray().ToArray() : throw Error(At(name), $"has {length} elements; at most {max} are allowed");
    }

    /// <summary>Strings of an array, each one of <paramref name="allowed"/>.</summary>
    public IReadOnlyList<string> Words(string name, IReadOnlyCollection<string> allowed)
    {
        var words = new List<string>();
        IReadOnlyList<JsonElement> items = Array(name, allowed.Count);
        for (int i = 0; i < items.Count; i++)
        {
            string? s = items[i].ValueKind == JsonValueKind.String ? items[i].GetString() : null;
            if (s is null || !allowed.Contains(s))
            {
                throw Error($"{At(name)}[{i}]", $"must be one of: {string.Join(", ", allowed)}");
            }

            words.Add(s);
        }

        return words;
    }

    /// <summary>Rejects every field that was not read.</summary>
    public void Done()
    {
        foreach (JsonProperty property in _element.EnumerateObject())
        {
            if (!_read.Contains(property.Name))
            {
                string shown = property.Name.Length > 40 ? property.Name[..40] + "..." : property.Name;
                throw Error(Path, $"unknown field '{new string(shown.Select(c => char.IsControl(c) ? '?' : c).ToArray())}'");
            }
        }
    }
}
