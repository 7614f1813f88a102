using ShadowPt.Kernel;

namespace ShadowPt.Tests.Kernel.PageTable;

/// <summary>A table's slots are a growing window over its 512 indexes: every read must match a full array's.</summary>
public sealed class TableSlotsTests
{
    [Theory]
    [InlineData(1, 40)]
    [InlineData(2, 600)]
    [InlineData(3, 5000)]
    public void ReadsLikeAFullArrayWhateverTheOrderOfWrites(int seed, int writes)
    {
        var slots = new TableSlots<ulong>();
        var full = new ulong[PageGeometry.PtrsPerTable];
        var random = new Random(seed); // the test's own workload
        int centre = random.Next(PageGeometry.PtrsPerTable);
        for (int w = 0; w < writes; w++)
        {
            // Mostly near one place (how a process uses a table), sometimes anywhere, sometimes a clear.
            int index = random.Next(4) == 0 ? random.Next(PageGeometry.PtrsPerTable) : Math.Clamp(centre + random.Next(-12, 12), 0, PageGeometry.PtrsPerTable - 1);
            ulong value = random.Next(3) == 0 ? 0 : (ulong)random.NextInt64(1, long.MaxValue);
            slots.Set(index, value);
            full[index] = value;
            for (int i = 0; i < PageGeometry.PtrsPerTable; i++)
            {
                Assert.Equal(full[i], slots.Get(i));
            }

            Assert.True(slots.First >= 0 && slots.End <= PageGeometry.PtrsPerTable);
            Assert.All(full.Take(slots.First).Concat(full.Skip(slots.End)), v => Assert.Equal(0UL, v));
            Assert.Contains(slots.Capacity, new[] { 0, TableSlots<ulong>.FirstWindow, 64, PageGeometry.PtrsPerTable });
        }
    }

    [Fact]
    public void EmptyWritesTakeNoSlotsAndAFewNeighboursTakeTheSmallestWindow()
    {
        var slots = new TableSlots<string>();
        slots.Set(300, null);
        Assert.Equal(0, slots.Capacity);
        Assert.Null(slots.Get(300));

        slots.Set(511, "stack top");
        slots.Set(509, "below");
        Assert.Equal(TableSlots<string>.FirstWindow, slots.Capacity);
        Assert.Equal(PageGeometry.PtrsPerTable, slots.End);
        Assert.Equal("stack top", slots.Get(511));
        Assert.Null(slots.Get(510));

        slots.Set(0, "far away");
        Assert.Equal(PageGeometry.PtrsPerTable, slots.Capacity);
        Assert.Equal(("far away", "below", "stack top"), (slots.Get(0), slots.Get(509), slots.Get(511)));
        Assert.Throws<KernelBugException>(() => slots.Set(PageGeometry.PtrsPerTable, "out of range"));
    }
}
