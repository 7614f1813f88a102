using System.Globalization;
using System.Text.Json;
using ShadowPt.Kernel;

namespace ShadowPt.Criu;

/// <summary>Reads one JSON file of an image with bounds, naming the file and field in every error.</summary>
internal sealed class ImageJsonReader(ImageStore store, string image, string file) : IDisposable
{
    /// <summary>The parsed file, alive while its elements are read.</summary>
    private JsonDocument? _doc;

    public void Dispose() => _doc?.Dispose();

    public JsonElement Root()
    {
        byte[] bytes = store.Read(image, file, ImageCodec.JsonBytesMax) ?? throw new CheckpointImageException($"{store.Describe(image, file)}: missing");
        try
        {
            _doc = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            throw new CheckpointImageException($"{store.Describe(image, file)}: not valid JSON (line {e.LineNumber + 1}): {FirstLine(e.Message)}");
        }

        return _doc.RootElement.ValueKind == JsonValueKind.Object ? _doc.RootElement : throw Fail("$", "must be a JSON object");
    }

    public CheckpointImageException Fail(string field, string what) => new($"{store.Describe(image, file)}: {field}: {what}");

    public JsonElement Get(JsonElement obj, string name, string at)
    {
        if (obj.ValueKind != JsonValueKind.Object)
        {
            throw Fail(at, "must be an object");
        }

        return obj.TryGetProperty(name, out JsonElement v) ? v : throw Fail(Join(at, name), "missing");
    }

    public string String(JsonElement obj, string name, int lengthMax, string at = "")
    {
        JsonElement v = Get(obj, name, at);
        string text = v.ValueKind == JsonValueKind.String ? v.GetString()! : throw Fail(Join(at, name), "must be a string");
        return text.Length <= lengthMax && text.All(c => c is >= ' ' and <= '~')
            ? text
            : throw Fail(Join(at, name), $"must be printable ASCII of at most {lengthMax} characters");
    }

    public long Integer(JsonElement obj, string name, long min, long max, string at = "")
    {
        JsonElement v = Get(obj, name, at);
        return v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long n) && n >= min && n <= max
            ? n
            : throw Fail(Join(at, name), $"must be an integer from {min} to {max}");
    }

    public bool Boolean(JsonElement obj, string name, string at = "")
    {
        JsonElement v = Get(obj, name, at);
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Fail(Join(at, name), "must be true or false"),
        };
    }

    public JsonElement Array(JsonElement obj, string name, int countMax)
    {
        JsonElement v = Get(obj, name, string.Empty);
        if (v.ValueKind != JsonValueKind.Array)
        {
            throw Fail(name, "must be an array");
        }

        return v.GetArrayLength() <= countMax ? v : throw Fail(name, $"more than {countMax} elements");
    }

    /// <summary>A page-aligned user address written as a 0x hex string.</summary>
    public ulong Address(JsonElement obj, string name, string at)
    {
        string text = String(obj, name, 18, at);
        if (!text.StartsWith("0x", StringComparison.Ordinal)
            || !ulong.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong value))
        {
            throw Fail(Join(at, name), "must be a hex address like 0x10002000");
        }

        if ((value & (PageGeometry.PageSize - 1)) != 0 || value > PageGeometry.TaskSizeMax)
        {
            throw Fail(Join(at, name), $"0x{value:x} is not a page-aligned user address");
        }

        return value;
    }

    private static string Join(string at, string name) => at.Length == 0 ? name : at + "." + name;

    private static string FirstLine(string text) => text.Split('\n')[0].Trim();
}
