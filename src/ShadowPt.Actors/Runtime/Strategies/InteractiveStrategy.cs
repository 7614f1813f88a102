using ShadowPt.Runtime.Recording;
using ShadowPt.Runtime.Scheduling;

namespace ShadowPt.Runtime.Strategies;

/// <summary>One enabled delivery as an interactive driver sees it: the channel, its two ends and the message at its head.</summary>
/// <param name="ChannelId">What a schedule records for this delivery.</param>
/// <param name="Sender">The sender's actor path, <c>(outside)</c> or <c>(timer)</c>.</param>
/// <param name="Receiver">The receiver's actor path.</param>
/// <param name="Kind">system, interrupt, reply or user.</param>
/// <param name="Message">The message the delivery would hand over (an ask reply by what it carries).</param>
public sealed record StepOption(int ChannelId, string Sender, string Receiver, string Kind, object Message);

/// <summary>
/// The other side of an <see cref="InteractiveStrategy"/>: whoever picks (a person at a terminal, a
/// test). A driver may end the run early by throwing <see cref="StepInterruptedException"/> from
/// <see cref="ChooseDelivery"/>; nothing else may throw.
/// </summary>
public interface IStepDriver
{
    /// <summary>
    /// Picks the next delivery among <paramref name="options"/> (never empty) before step
    /// <paramref name="step"/>; <paramref name="strategyPick"/> is what the fallback strategy would pick.
    /// Returns an index into <paramref name="options"/>.
    /// </summary>
    int ChooseDelivery(IReadOnlyList<StepOption> options, long step, int strategyPick);

    /// <summary>Picks a boolean (<paramref name="maxExclusive"/> 2) or integer in [0, <paramref name="maxExclusive"/>) the model asks for during step <paramref name="step"/>.</summary>
    int ChooseValue(ChoiceKind kind, int maxExclusive, long step, int strategyPick);

    /// <summary>Told of every delivery about to happen, replayed or chosen, so the driver can narrate what follows it.</summary>
    void OnDelivering(StepOption option, long step);
}

/// <summary>Thrown by an <see cref="IStepDriver"/> to end the run at a delivery point (step back, quit); it leaves the run through <see cref="ActorSystem.Run"/>.</summary>
public sealed class StepInterruptedException : Exception
{
    public StepInterruptedException()
        : base("interrupted")
    {
    }

    public StepInterruptedException(string message)
        : base(message)
    {
    }

    public StepInterruptedException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

/// <summary>
/// The user is the scheduler: replays a recorded prefix of choices exactly (checking each fits, as
/// <see cref="ReplayStrategy"/> does), then asks an <see cref="IStepDriver"/> for every choice, offering
/// what <paramref name="fallback"/> would pick. Stepping back is re-executing with a shorter prefix: a
/// run is a pure function of its choices, so that is exact.
/// </summary>
public sealed class InteractiveStrategy(IReadOnlyList<ScheduleChoice> prefix, SchedulingStrategy fallback, IStepDriver driver) : SchedulingStrategy
{
    /// <summary>Most enabled deliveries shown to a driver at once; a run with more is cut to the first ones (in ready order).</summary>
    public const int OptionsMax = 4096;

    /// <summary>Every choice of this run so far: the prefix's, then the driver's.</summary>
    private readonly List<ScheduleChoice> _choices = new();

    public override string Name => "step";

    public override string Description => $"step(then {fallback.Description})";

    /// <summary>The choices made so far (the prefix first): what a new execution replays.</summary>
    public IReadOnlyList<ScheduleChoice> Choices => _choices;

    /// <summary>Whether the run is past its prefix (the driver chooses now).</summary>
    public bool Live => _choices.Count >= prefix.Count;

    protected internal override int NextDelivery(ReadySet ready, long step)
    {
        var options = new StepOption[Math.Min(ready.Count, OptionsMax)];
        for (int i = 0; i < options.Length; i++)
        {
            options[i] = new StepOption(ready.ChannelId(i), ready.SenderPath(i), ready.ReceiverPath(i), ready.KindName(i), ready.HeadMessage(i));
        }

        // The fallback is asked at every point, replayed or not, so that its picks (what Enter takes)
        // depend only on the choices before: a re-execution offers the same picks as the first one.
        int pick = Math.Min(fallback.NextDelivery(ready, step), options.Length - 1);
        int index;
        if (!Live)
        {
            index = ready.IndexOfChannel(Recorded(ChoiceKind.Delivery, step + 1));
            if (index < 0 || index >= options.Length)
            {
                throw new ScheduleDivergedException($"step {step + 1}: the prefix delivers on channel {prefix[_choices.Count].Value}, which is not enabled");
            }
        }
        else
        {
            index = driver.ChooseDelivery(options, step + 1, pick);
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, options.Length);
        }

        _choices.Add(new ScheduleChoice(ChoiceKind.Delivery, options[index].ChannelId));
        driver.OnDelivering(options[index], step + 1);
        return index;
    }

    protected internal override bool NextBoolean(long step) => Value(ChoiceKind.Boolean, 2, step, fallback.NextBoolean(step) ? 1 : 0) == 1;

    protected internal override int NextInteger(int maxExclusive, long step) => Value(ChoiceKind.Integer, maxExclusive, step, fallback.NextInteger(maxExclusive, step));

    protected internal override void OnActorCreated(int actorId) => fallback.OnActorCreated(actorId);

    private int Value(ChoiceKind kind, int maxExclusive, long step, int strategyPick)
    {
        int value = Live ? driver.ChooseValue(kind, maxExclusive, step, strategyPick) : Recorded(kind, step); // strategyPick was drawn either way
        if (value < 0 || value >= maxExclusive)
        {
            throw new ScheduleDivergedException($"step {step}: choice {value} is outside [0, {maxExclusive})");
        }

        _choices.Add(new ScheduleChoice(kind, value));
        return value;
    }

    /// <summary>The next choice of the prefix, which must be of <paramref name="kind"/>.</summary>
    private int Recorded(ChoiceKind kind, long step)
    {
        ScheduleChoice choice = prefix[_choices.Count];
        return choice.Kind == kind
            ? choice.Value
            : throw new ScheduleDivergedException($"step {step}: choice {_choices.Count + 1} of the prefix is a {choice.Kind} choice, but the run asks for a {kind} choice");
    }
}
