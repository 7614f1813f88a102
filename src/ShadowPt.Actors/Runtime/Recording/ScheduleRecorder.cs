namespace ShadowPt.Runtime.Recording;

/// <summary>Appends choices as packed integers: four bytes per step, no allocation but doubling growth.</summary>
internal sealed class ScheduleRecorder
{
    private int[] _codes = new int[1024];

    public long Count { get; private set; }

    public void Add(ChoiceKind kind, int value)
    {
        if (Count == _codes.Length)
        {
            Array.Resize(ref _codes, checked(_codes.Length * 2));
        }

        _codes[Count++] = (value << 2) | (int)kind;
    }

    public ScheduleChoice[] ToArray()
    {
        var choices = new ScheduleChoice[Count];
        for (long i = 0; i < Count; i++)
        {
            choices[i] = ScheduleChoice.Decode(_codes[i]);
        }

        return choices;
    }
}
