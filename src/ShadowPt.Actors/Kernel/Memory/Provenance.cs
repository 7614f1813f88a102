using System.Globalization;

namespace ShadowPt.Kernel;

/// <summary>
/// Who did something to a frame and when: the scheduler step and a label such as
/// <c>"cpu1 do_anonymous_page"</c>. Frame histories in error reports are made of these.
/// </summary>
public readonly record struct Provenance(long Step, string Who)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"'{Who}' at step {Step}");
}
