using ShadowPt.Runtime.Recording;
using ShadowPt.Runtime.Scheduling;

namespace ShadowPt.Runtime.Strategies;

/// <summary>
/// Replays a recorded schedule, checking at every scheduling point that the recorded choice fits:
/// same kind of choice, the recorded channel enabled and joining the same two actors. With a
/// fallback it replays a prefix and lets the fallback choose after it; without one, a run longer or
/// shorter than the schedule is a divergence.
/// </summary>
public sealed class ReplayStrategy(Schedule schedule, SchedulingStrategy? fallback = null) : SchedulingStrategy
{
    /// <summary>Index of the next recorded choice.</summary>
    private int _next;

    public override string Name => "replay";

    public override string Description => fallback is null
        ? $"replay({schedule.Choices.Count} choices of {schedule.Strategy})"
        : $"replay({schedule.Choices.Count} choices, then {fallback.Description})";

    protected internal override int NextDelivery(ReadySet ready, long step)
    {
        if (!TryNext(ChoiceKind.Delivery, step + 1, out int channelId))
        {
            return fallback!.NextDelivery(ready, step);
        }

        int index = ready.IndexOfChannel(channelId);
        string recorded = channelId < schedule.Channels.Count ? schedule.Channels[channelId] : $"channel {channelId}";
        if (index < 0)
        {
            string actual = ready.DescribeChannel(channelId) is { } d ? $"channel {channelId} is {d} and not enabled" : $"channel {channelId} does not exist";
            throw new ScheduleDivergedException($"step {step + 1}: the schedule delivers on {recorded}, but {actual}");
        }

        string now = ready.Describe(index);
        if (channelId < schedule.Channels.Count && now != recorded)
        {
            throw new ScheduleDivergedException($"step {step + 1}: the schedule delivers on {recorded}, but channel {channelId} is {now}");
        }

        return index;
    }

    protected internal override bool NextBoolean(long step)
    {
        if (!TryNext(ChoiceKind.Boolean, step, out int value))
        {
            return fallback!.NextBoolean(step);
        }

        return value switch
        {
            0 => false,
            1 => true,
            _ => throw new ScheduleDivergedException($"step {step}: recorded boolean choice {value} is neither 0 nor 1"),
        };
    }

    protected internal override int NextInteger(int maxExclusive, long step)
    {
        if (!TryNext(ChoiceKind.Integer, step, out int value))
        {
            return fallback!.NextInteger(maxExclusive, step);
        }

        return value < maxExclusive
            ? value
            : throw new ScheduleDivergedException($"step {step}: recorded integer choice {value} is outside [0, {maxExclusive})");
    }

    protected internal override void OnActorCreated(int actorId) => fallback?.OnActorCreated(actorId);

    protected internal override void OnRunEnded(long choicesMade)
    {
        if (_next < schedule.Choices.Count)
        {
            throw new ScheduleDivergedException($"the run ended after {choicesMade} choices, but the schedule holds {schedule.Choices.Count}");
        }

        fallback?.OnRunEnded(choicesMade);
    }

    /// <summary>
    /// Takes the next recorded choice, which must be of <paramref name="kind"/>. <paramref name="step"/>
    /// is the step the choice belongs to, as reports name it: a delivery choice decides the step after
    /// the current one, while a boolean or integer is asked for during the current step.
    /// </summary>
    private bool TryNext(ChoiceKind kind, long step, out int value)
    {
        if (_next >= schedule.Choices.Count)
        {
            value = 0;
            return fallback is not null
                ? false
                : throw new ScheduleDivergedException($"step {step}: the schedule ended after {schedule.Choices.Count} choices, but the run goes on");
        }

        ScheduleChoice choice = schedule.Choices[_next];
        if (choice.Kind != kind)
        {
            throw new ScheduleDivergedException($"step {step}: choice {_next + 1} of the schedule is {KindName(choice.Kind)}, but the run asks for {KindName(kind)}");
        }

        _next++;
        value = choice.Value;
        return true;
    }

    private static string KindName(ChoiceKind kind) => kind switch
    {
        ChoiceKind.Delivery => "a delivery choice",
        ChoiceKind.Boolean => "a boolean choice",
        _ => "an integer choice",
    };
}
