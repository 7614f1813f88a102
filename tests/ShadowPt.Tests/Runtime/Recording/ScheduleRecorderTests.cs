using ShadowPt.Runtime.Recording;

namespace ShadowPt.Tests.Runtime.Recording;

public sealed class ScheduleRecorderTests
{
    [Fact]
    public void KeepsEveryChoiceInOrderAcrossManyChunks()
    {
        // 40 chunks: past the first growth of the chunk list (16) and the second (32).
        int count = (40 * ScheduleRecorder.ChunkLength) + 7;
        var recorder = new ScheduleRecorder();
        for (int i = 0; i < count; i++)
        {
            recorder.Add((ChoiceKind)(i % 3), i % ScheduleChoice.ValueMax);
        }

        PackedChoices choices = recorder.ToArray();

        Assert.Equal(count, recorder.Count);
        Assert.Equal(count, choices.Count);
        Assert.Equal(sizeof(int), choices.Width);
        for (int i = 0; i < count; i++)
        {
            Assert.Equal(new ScheduleChoice((ChoiceKind)(i % 3), i % ScheduleChoice.ValueMax), choices[i]);
        }
    }

    [Fact]
    public void AReleasedRecorderCannotBeReadOrWritten()
    {
        var recorder = new ScheduleRecorder();
        recorder.Add(ChoiceKind.Delivery, 5);
        recorder.Release();

        Assert.Throws<ObjectDisposedException>(() => recorder.ToArray());
        Assert.Throws<ObjectDisposedException>(() => recorder.Add(ChoiceKind.Delivery, 6));
    }

    [Fact]
    public void ARecorderAfterAReleasedOneStartsEmpty()
    {
        var first = new ScheduleRecorder();
        for (int i = 0; i < ScheduleRecorder.ChunkLength + 1; i++)
        {
            first.Add(ChoiceKind.Delivery, 1);
        }

        first.Release();
        var second = new ScheduleRecorder();
        second.Add(ChoiceKind.Boolean, 0);

        Assert.Equal([new ScheduleChoice(ChoiceKind.Boolean, 0)], second.ToArray());
    }

    [Theory]
    [InlineData(63, 1)]
    [InlineData(64, 2)]
    [InlineData(16_383, 2)]
    [InlineData(16_384, 4)]
    [InlineData(ScheduleChoice.ValueMax, 4)]
    public void PacksChoicesAtTheNarrowestWidthTheirLargestValueFits(int largest, int width)
    {
        var recorder = new ScheduleRecorder();
        var expected = new List<ScheduleChoice>();
        for (int i = 0; i < ScheduleRecorder.ChunkLength + 100; i++)
        {
            var choice = new ScheduleChoice((ChoiceKind)(i % 3), i == ScheduleRecorder.ChunkLength + 50 ? largest : i % 2);
            recorder.Add(choice.Kind, choice.Value);
            expected.Add(choice);
        }

        PackedChoices choices = recorder.ToArray();

        Assert.Equal(width, choices.Width);
        Assert.Equal(expected, choices);
        Assert.Equal(expected[^50], choices[choices.Count - 50]);
        Assert.Throws<ArgumentOutOfRangeException>(() => choices[choices.Count]);
        Assert.Empty(new ScheduleRecorder().ToArray());
    }
}
