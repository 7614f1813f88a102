using System.Text;
using ShadowPt.Criu;
using ShadowPt.Kernel;
using ShadowPt.Tests.Host;

namespace ShadowPt.Tests.Criu;

public sealed class ImageCodecTests
{
    private const ulong At = 0x20000000;

    [Fact]
    public void An_image_chain_round_trips_through_the_store()
    {
        MemoryImageStore store = Chain();
        RestorePlan plan = RestorePlan.Load(store, "2");
        Assert.Equal(2, plan.Chain.Count);
        Assert.Equal([At, At + 0x1000, At + 0x2000], plan.Pages.Select(p => p.Address));
        Assert.Equal([1, 9, 3], plan.Pages.Select(p => (int)p.Contents[0])); // page 1 from image 2, pages 0 and 2 from image 1
        Assert.Single(plan.Vmas);
    }

    [Theory]
    [InlineData("inventory.json", "{not json", "2/inventory.json: not valid JSON")]
    [InlineData("inventory.json", "[]", "2/inventory.json: $: must be a JSON object")]
    [InlineData("inventory.json", """{"format":"other","version":1}""", "2/inventory.json: format: is not 'shadowpt-criu'")]
    [InlineData("inventory.json", """{"format":"shadowpt-criu","version":1,"pid":7,"comm":"target","kind":"dump","parent":"2"}""", "2/inventory.json: parent: must name another image")]
    [InlineData("inventory.json", """{"format":"shadowpt-criu","version":1,"pid":-3,"comm":"target","kind":"dump","parent":"1"}""", "2/inventory.json: pid: must be an integer")]
    [InlineData("mm-7.json", """{"vmas":[{"start":"0x20000800","end":"0x20003000","prot":"rw-","shared":false,"growsDown":false,"anonymous":true}]}""", "2/mm-7.json: vmas[0].start: 0x20000800 is not a page-aligned user address")]
    [InlineData("mm-7.json", """{"vmas":[{"start":"0x20000000","end":"0x20003000","prot":"rw-","shared":false,"growsDown":false,"anonymous":false}]}""", "2/mm-7.json: vmas[0]: is file-backed")]
    [InlineData("mm-7.json", """{"vmas":[{"start":"0x20000000","end":"0x20003000","prot":"rwz","shared":false,"growsDown":false,"anonymous":true}]}""", "2/mm-7.json: vmas[0].prot: must be three characters")]
    [InlineData("pagemap-7.json", """{"entries":[{"vaddr":"0x30000000","nrPages":1,"inParent":false}]}""", "2/pagemap-7.json: entries[0]: 0x30000000-0x30001000 is not inside one VMA")]
    [InlineData("pagemap-7.json", """{"entries":[{"vaddr":"0x20000000","nrPages":99999999,"inParent":false}]}""", "2/pagemap-7.json: entries[0].nrPages: must be an integer from 1 to 16384")]
    [InlineData("pages-1.img", "short", "2/pages-1.img: 5 bytes, but the pagemap lists 1 pages of contents (4096 bytes)")]
    public void A_corrupt_file_is_rejected_with_one_line_naming_it(string file, string contents, string expected)
    {
        MemoryImageStore store = Chain();
        store.Write("2", file, Encoding.UTF8.GetBytes(contents));
        var e = Assert.Throws<CheckpointImageException>(() => RestorePlan.Load(store, "2"));
        Assert.StartsWith(expected, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void A_missing_parent_a_loop_and_a_page_the_parent_lacks_are_rejected()
    {
        MemoryImageStore store = Chain();
        store.Write("1", ImageCodec.InventoryFile, Inventory(parent: "2"));
        Assert.Contains("the parent chain loops back", Assert.Throws<CheckpointImageException>(() => RestorePlan.Load(store, "2")).Message, StringComparison.Ordinal);

        MemoryImageStore orphan = Chain();
        orphan.Write("2", ImageCodec.InventoryFile, Inventory(parent: "5"));
        Assert.Equal("5/inventory.json: missing", Assert.Throws<CheckpointImageException>(() => RestorePlan.Load(orphan, "2")).Message);

        MemoryImageStore gap = new();
        var vmas = new[] { new ImageVma(At, At + 0x3000, true, true, false, false, false, true) };
        ImageCodec.Write(gap, new CheckpointImage("1", null, 7, "target", false, vmas, [new ImagePage(At, false)], [Page(1)]));
        ImageCodec.Write(gap, new CheckpointImage("2", "1", 7, "target", true, vmas, [new ImagePage(At + 0x1000, true)], []));
        Assert.Contains("page 0x20001000 is in-parent in image 2, but this parent does not list it", Assert.Throws<CheckpointImageException>(() => RestorePlan.Load(gap, "2")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Oversized_files_are_refused_before_they_are_read()
    {
        using var dir = new TempDir();
        var store = new DirectoryImageStore(dir.Path);
        ImageCodec.Write(store, new CheckpointImage("1", null, 7, "target", true, [new ImageVma(At, At + 0x1000, true, true, false, false, false, true)], [new ImagePage(At, false)], [Page(1)]));
        using (FileStream f = File.OpenWrite(Path.Combine(dir.Path, "1", ImageCodec.PagesFile)))
        {
            f.SetLength(((long)ImageCodec.PagesMax * PageGeometry.PageSizeBytes) + 1); // sparse: nothing is allocated
        }

        var e = Assert.Throws<CheckpointImageException>(() => RestorePlan.Load(store, "1"));
        Assert.Contains("more than the 67108864 allowed", e.Message, StringComparison.Ordinal);

        File.WriteAllBytes(Path.Combine(dir.Path, "1", ImageCodec.MmFile(7)), new byte[ImageCodec.JsonBytesMax + 1]);
        Assert.Contains("mm-7.json: 1048577 bytes, more than the 1048576 allowed", Assert.Throws<CheckpointImageException>(() => RestorePlan.Load(store, "1")).Message, StringComparison.Ordinal);
        Assert.Contains("is not 1 to 9 digits", Assert.Throws<CheckpointImageException>(() => RestorePlan.Load(store, "../1")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Too_many_vmas_are_refused()
    {
        MemoryImageStore store = Chain();
        var json = new StringBuilder("{\"vmas\":[");
        for (int i = 0; i <= ImageCodec.VmasMax; i++)
        {
            json.Append(i == 0 ? string.Empty : ",").Append("{}");
        }

        store.Write("2", ImageCodec.MmFile(7), Encoding.UTF8.GetBytes(json.Append("]}").ToString()));
        Assert.Equal("2/mm-7.json: vmas: more than 4096 elements", Assert.Throws<CheckpointImageException>(() => RestorePlan.Load(store, "2")).Message);
    }

    /// <summary>Image 1: pages 0-2 with contents 1, 2, 3; image 2 (final, parent 1): page 1 rewritten with 9.</summary>
    private static MemoryImageStore Chain()
    {
        var store = new MemoryImageStore();
        var vmas = new[] { new ImageVma(At, At + 0x3000, true, true, false, false, false, true) };
        ImageCodec.Write(store, new CheckpointImage("1", null, 7, "target", false, vmas, [new(At, false), new(At + 0x1000, false), new(At + 0x2000, false)], [Page(1), Page(2), Page(3)]));
        ImageCodec.Write(store, new CheckpointImage("2", "1", 7, "target", true, vmas, [new(At, true), new(At + 0x1000, false), new(At + 0x2000, true)], [Page(9)]));
        return store;
    }

    private static byte[] Inventory(string parent) =>
        Encoding.UTF8.GetBytes($$"""{"format":"shadowpt-criu","version":1,"pid":7,"comm":"target","kind":"pre-dump","parent":"{{parent}}"}""");

    private static byte[] Page(byte fill)
    {
        var page = new byte[PageGeometry.PageSizeBytes];
        page.AsSpan().Fill(fill);
        return page;
    }
}
