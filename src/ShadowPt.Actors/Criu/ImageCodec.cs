using System.Globalization;
using System.Text;
using System.Text.Json;
using ShadowPt.Kernel;

namespace ShadowPt.Criu;

/// <summary>
/// Writes a <see cref="CheckpointImage"/> as files and reads them back, treating every file as
/// untrusted: sizes, counts, addresses and the parent chain are bounded and checked, and any fault is a
/// one-line <see cref="CheckpointImageException"/> naming the file. Files per image:
/// <c>inventory.json</c> (format, pid, comm, kind, parent), <c>mm-PID.json</c> (the VMAs),
/// <c>pagemap-PID.json</c> (runs of pages: address, count, in-parent) and <c>pages-1.img</c> (the
/// contents of the pages not in the parent, 4 KiB each, in pagemap order).
/// </summary>
public static class ImageCodec
{
    /// <summary>The format tag of inventory.json.</summary>
    public const string Format = "shadowpt-criu";

    public const int Version = 1;

    /// <summary>Largest JSON file accepted.</summary>
    public const long JsonBytesMax = 1 << 20;

    /// <summary>Most VMAs one image may list.</summary>
    public const int VmasMax = 4096;

    /// <summary>Most pages one image may list (present or swapped), and so most contents it may hold (64 MiB).</summary>
    public const int PagesMax = 16384;

    /// <summary>Most pagemap entries (runs) one image may list.</summary>
    public const int EntriesMax = PagesMax;

    /// <summary>Longest parent chain a restore follows.</summary>
    public const int ChainMax = 64;

    /// <summary>Longest comm (TASK_COMM_LEN less the NUL).</summary>
    public const int CommMax = 15;

    public const string InventoryFile = "inventory.json";

    public const string PagesFile = "pages-1.img";

    public static string MmFile(int pid) => string.Create(CultureInfo.InvariantCulture, $"mm-{pid}.json");

    public static string PagemapFile(int pid) => string.Create(CultureInfo.InvariantCulture, $"pagemap-{pid}.json");

    /// <summary>An image name: 1 to 9 digits (the store uses it as a directory name).</summary>
    public static string CheckName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length is 0 or > 9 || !name.All(char.IsAsciiDigit))
        {
            throw new CheckpointImageException($"image name '{Escape(name)}' is not 1 to 9 digits");
        }

        return name;
    }

    /// <summary>Writes every file of <paramref name="image"/> to <paramref name="store"/>; returns the bytes written.</summary>
    public static long Write(ImageStore store, CheckpointImage image)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(image);
        CheckName(image.Name);
        byte[] inventory = Json(w =>
        {
            w.WriteString("format", Format);
            w.WriteNumber("version", Version);
            w.WriteNumber("pid", image.Pid);
            w.WriteString("comm", image.Comm);
            w.WriteString("kind", image.Final ? "dump" : "pre-dump");
            if (image.Parent is null)
            {
                w.WriteNull("parent");
            }
            else
            {
                w.WriteString("parent", image.Parent);
            }
        });
        byte[] mm = Json(w =>
        {
            w.WriteStartArray("vmas");
            foreach (ImageVma v in image.Vmas)
            {
                w.WriteStartObject();
                w.WriteString("start", Hex(v.Start));
                w.WriteString("end", Hex(v.End));
                w.WriteString("prot", string.Concat(v.Read ? "r" : "-", v.Write ? "w" : "-", v.Exec ? "x" : "-"));
                w.WriteBoolean("shared", v.Shared);
                w.WriteBoolean("growsDown", v.GrowsDown);
                w.WriteBoolean("anonymous", v.Anonymous);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        });
        byte[] pagemap = Json(w =>
        {
            w.WriteStartArray("entries");
            foreach ((ulong start, int count, bool inParent) in Runs(image.Pages, image.Vmas))
            {
                w.WriteStartObject();
                w.WriteString("vaddr", Hex(start));
                w.WriteNumber("nrPages", count);
                w.WriteBoolean("inParent", inParent);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        });
        var pages = new byte[image.Contents.Count * PageGeometry.PageSizeBytes];
        for (int i = 0; i < image.Contents.Count; i++)
        {
            image.Contents[i].CopyTo(pages, i * PageGeometry.PageSizeBytes);
        }

        store.Write(image.Name, InventoryFile, inventory);
        store.Write(image.Name, MmFile(image.Pid), mm);
        store.Write(image.Name, PagemapFile(image.Pid), pagemap);
        store.Write(image.Name, PagesFile, pages);
        return inventory.Length + mm.Length + pagemap.Length + pages.Length;
    }

    /// <summary>Reads and checks image <paramref name="name"/> (not its parents).</summary>
    public static CheckpointImage Read(ImageStore store, string name)
    {
        ArgumentNullException.ThrowIfNull(store);
        CheckName(name);
        using var inv = new ImageJsonReader(store, name, InventoryFile);
        JsonElement root = inv.Root();
        if (inv.String(root, "format", 32) != Format)
        {
            throw inv.Fail("format", $"is not '{Format}'");
        }

        if (inv.Integer(root, "version", 0, 1000) != Version)
        {
            throw inv.Fail("version", $"must be {Version}");
        }

        int pid = (int)inv.Integer(root, "pid", 1, MachineConfig.TasksMax * 64L);
        string comm = inv.String(root, "comm", CommMax);
        string kind = inv.String(root, "kind", 16);
        if (kind is not ("dump" or "pre-dump"))
        {
            throw inv.Fail("kind", "must be 'dump' or 'pre-dump'");
        }

        string? parent = root.TryGetProperty("parent", out JsonElement p) && p.ValueKind != JsonValueKind.Null ? inv.String(root, "parent", 9) : null;
        if (parent is not null && (!parent.All(char.IsAsciiDigit) || parent.Length == 0 || parent == name))
        {
            throw inv.Fail("parent", "must name another image (digits)");
        }

        IReadOnlyList<ImageVma> vmas;
        using (var mm = new ImageJsonReader(store, name, MmFile(pid)))
        {
            vmas = ReadVmas(mm);
        }

        IReadOnlyList<ImagePage> pages;
        using (var pagemap = new ImageJsonReader(store, name, PagemapFile(pid)))
        {
            pages = ReadPagemap(pagemap, vmas, parent is not null);
        }

        int own = pages.Count(x => !x.InParent);
        byte[] bytes = store.Read(name, PagesFile, (long)PagesMax * PageGeometry.PageSizeBytes)
            ?? throw new CheckpointImageException($"{store.Describe(name, PagesFile)}: missing");
        if (bytes.Length != (long)own * PageGeometry.PageSizeBytes)
        {
            throw new CheckpointImageException($"{store.Describe(name, PagesFile)}: {bytes.Length} bytes, but the pagemap lists {own} pages of contents ({own * (long)PageGeometry.PageSizeBytes} bytes)");
        }

        var contents = new byte[own][];
        for (int i = 0; i < own; i++)
        {
            contents[i] = bytes.AsSpan(i * PageGeometry.PageSizeBytes, PageGeometry.PageSizeBytes).ToArray();
        }

        return new CheckpointImage(name, parent, pid, comm, kind == "dump", vmas, pages, contents);
    }

    private static ImageVma[] ReadVmas(ImageJsonReader r)
    {
        JsonElement root = r.Root();
        JsonElement list = r.Array(root, "vmas", VmasMax);
        var vmas = new List<ImageVma>();
        ulong previousEnd = 0;
        int i = 0;
        foreach (JsonElement v in list.EnumerateArray())
        {
            string at = string.Create(CultureInfo.InvariantCulture, $"vmas[{i++}]");
            ulong start = r.Address(v, "start", at);
            ulong end = r.Address(v, "end", at);
            if (end <= start)
            {
                throw r.Fail(at, "end is not above start");
            }

            if (start < previousEnd)
            {
                throw r.Fail(at, "overlaps or is out of order with the VMA before it");
            }

            string prot = r.String(v, "prot", 3, at);
            if (prot.Length != 3 || prot[0] is not ('r' or '-') || prot[1] is not ('w' or '-') || prot[2] is not ('x' or '-'))
            {
                throw r.Fail(at + ".prot", "must be three characters like 'rw-'");
            }

            bool anonymous = r.Boolean(v, "anonymous", at);
            if (!anonymous)
            {
                throw r.Fail(at, "is file-backed: only anonymous memory is restored");
            }

            vmas.Add(new ImageVma(start, end, prot[0] == 'r', prot[1] == 'w', prot[2] == 'x', r.Boolean(v, "shared", at), r.Boolean(v, "growsDown", at), anonymous));
            previousEnd = end;
        }

        return vmas.ToArray();
    }

    private static ImagePage[] ReadPagemap(ImageJsonReader r, IReadOnlyList<ImageVma> vmas, bool hasParent)
    {
        JsonElement root = r.Root();
        JsonElement list = r.Array(root, "entries", EntriesMax);
        var pages = new List<ImagePage>();
        ulong previousEnd = 0;
        int i = 0;
        foreach (JsonElement e in list.EnumerateArray())
        {
            string at = string.Create(CultureInfo.InvariantCulture, $"entries[{i++}]");
            ulong start = r.Address(e, "vaddr", at);
            long count = r.Integer(e, "nrPages", 1, PagesMax, at);
            bool inParent = r.Boolean(e, "inParent", at);
            if (inParent && !hasParent)
            {
                throw r.Fail(at, "is in the parent, but the image has no parent");
            }

            if (start < previousEnd)
            {
                throw r.Fail(at, "overlaps or is out of order with the entry before it");
            }

            if (pages.Count + count > PagesMax)
            {
                throw r.Fail(at, $"more than {PagesMax} pages in all");
            }

            ulong end = start + ((ulong)count << PageGeometry.PageShift);
            if (!vmas.Any(v => v.Start <= start && end <= v.End))
            {
                throw r.Fail(at, $"0x{start:x}-0x{end:x} is not inside one VMA of the image");
            }

            for (ulong a = start; a < end; a += PageGeometry.PageSize)
            {
                pages.Add(new ImagePage(a, inParent));
            }

            previousEnd = end;
        }

        return pages.ToArray();
    }

    /// <summary>Pages as runs of neighbours with the same in-parent flag, never across a VMA boundary (the reader wants each run in one VMA).</summary>
    private static IEnumerable<(ulong Start, int Count, bool InParent)> Runs(IReadOnlyList<ImagePage> pages, IReadOnlyList<ImageVma> vmas)
    {
        var vmaStarts = vmas.Select(v => v.Start).ToHashSet();
        int i = 0;
        while (i < pages.Count)
        {
            int j = i + 1;
            while (j < pages.Count && pages[j].InParent == pages[i].InParent && pages[j].Address == pages[j - 1].Address + PageGeometry.PageSize && !vmaStarts.Contains(pages[j].Address))
            {
                j++;
            }

            yield return (pages[i].Address, j - i, pages[i].InParent);
            i = j;
        }
    }

    private static byte[] Json(Action<Utf8JsonWriter> body)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }

        return stream.ToArray();
    }

    private static string Hex(ulong value) => string.Create(CultureInfo.InvariantCulture, $"0x{value:x}");

    /// <summary>Printable ASCII only, bounded: names from files reach messages.</summary>
    internal static string Escape(string text)
    {
        var b = new StringBuilder();
        foreach (char c in text.Take(40))
        {
            b.Append(c is >= ' ' and <= '~' ? c : '?');
        }

        return b.ToString();
    }
}
