using ShadowPt.Kernel;

namespace ShadowPt.Tests.Kernel.Memory;

/// <summary>A page's contents live in 256-byte pieces made on first write: it must read like a plain 4 KiB array.</summary>
public sealed class PageContentsTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void ReadsLikeAPlainArrayAcrossPieces(int seed)
    {
        var page = new PageContents();
        var plain = new byte[PageGeometry.PageSizeBytes];
        var random = new Random(seed); // the test's own workload
        for (int op = 0; op < 400; op++)
        {
            if (random.Next(2) == 0)
            {
                int offset = random.Next(PageGeometry.PageSizeBytes / sizeof(ulong)) * sizeof(ulong);
                ulong value = (ulong)random.NextInt64();
                page.WriteU64(offset, value);
                BitConverter.TryWriteBytes(plain.AsSpan(offset), value);
            }
            else
            {
                int offset = random.Next(PageGeometry.PageSizeBytes);
                var bytes = new byte[random.Next(Math.Min(700, PageGeometry.PageSizeBytes - offset) + 1)];
                random.NextBytes(bytes);
                page.Write(offset, bytes);
                bytes.CopyTo(plain, offset);
            }

            int from = random.Next(PageGeometry.PageSizeBytes);
            var read = new byte[random.Next(PageGeometry.PageSizeBytes - from + 1)];
            page.Read(from, read);
            Assert.Equal(plain.AsSpan(from, read.Length).ToArray(), read);
            int unaligned = random.Next(PageGeometry.PageSizeBytes - sizeof(ulong) + 1);
            Assert.Equal(BitConverter.ToUInt64(plain, unaligned), page.ReadU64(unaligned));
        }

        var whole = new byte[PageGeometry.PageSizeBytes];
        page.Read(0, whole);
        Assert.Equal(plain, whole);
    }

    [Fact]
    public void AWordTakesOnePieceAndACopyIsIndependent()
    {
        var page = new PageContents();
        int empty = page.MemoryBytes;
        page.WriteU64(4088, 0x45);
        Assert.Equal(empty + 24 + PageContents.PieceBytes, page.MemoryBytes);
        Assert.Equal(0UL, page.ReadU64(0));

        PageContents copy = page.Clone();
        copy.WriteU64(4088, 0x46);
        copy.WriteU64(0, 1);
        Assert.Equal((0x45UL, 0UL), (page.ReadU64(4088), page.ReadU64(0)));
        Assert.Equal((0x46UL, 1UL), (copy.ReadU64(4088), copy.ReadU64(0)));
    }
}
