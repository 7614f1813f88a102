using System.Globalization;
using System.Text;
using ShadowPt.Kernel;
using ShadowPt.Runtime;
using ShadowPt.Runtime.Recording;
using ShadowPt.Runtime.Strategies;
using ShadowPt.Scenarios;

namespace ShadowPt.Exploration.Stepping;

/// <summary>
/// The terminal side of one execution of a <see cref="StepConsole"/>: shows the state before each
/// live choice, reads and obeys the user's commands. Ends the execution early (step back, quit) by
/// throwing <see cref="StepInterruptedException"/> from a delivery choice, after setting <see cref="NextPrefix"/>.
/// </summary>
internal sealed class StepDriver(StepConsole console, TextWriter output, bool echo) : IStepDriver
{
    private ActorSystem? _system;
    private Scenario? _scenario;
    private InteractiveStrategy? _strategy;
    private StepNarrator _narrator = new(null);

    /// <summary>Strategy steps still to run without asking (<c>r N</c>).</summary>
    private long _autoSteps;

    /// <summary>The end of the input was reached at a value prompt: quit at the next delivery prompt.</summary>
    private bool _quitPending;

    /// <summary>Warnings of the scenario already printed.</summary>
    private int _warningsShown;

    /// <summary>The prefix of the next execution; null to quit.</summary>
    public IReadOnlyList<ScheduleChoice>? NextPrefix { get; private set; }

    public void Attach(ActorSystem system, Scenario scenario, InteractiveStrategy strategy, bool first)
    {
        _system = system;
        _scenario = scenario;
        _strategy = strategy;
        _narrator = new StepNarrator((scenario as IMachineScenario)?.Machine);
        if (first)
        {
            output.WriteLine($"shadowpt step: {scenario.Name}: {scenario.Summary}");
            output.WriteLine($"you are the scheduler; the strategy is {strategy.Description}; ? for help");
        }
    }

    public void OnDelivering(StepOption option, long step) => _narrator.OnDelivering(option);

    public int ChooseDelivery(IReadOnlyList<StepOption> options, long step, int strategyPick)
    {
        if (_quitPending || console.InterruptRequested)
        {
            if (console.InterruptRequested)
            {
                console.OnInterrupted(_strategy!.Choices);
            }

            Interrupt(null);
        }

        if (_autoSteps > 0)
        {
            _autoSteps--;
            return strategyPick;
        }

        ShowWarnings();
        output.Write(StateText(options, step, strategyPick));
        while (true)
        {
            output.Write(string.Create(CultureInfo.InvariantCulture, $"step {step}> "));
            string? line = ReadOrSaveAndQuit();
            StepCommand command = StepCommand.Parse(line, options.Count);
            switch (command.Verb)
            {
                case StepVerb.Pick:
                    return (int)command.Number - 1;
                case StepVerb.Strategy:
                    return strategyPick;
                case StepVerb.Run:
                    _autoSteps = command.Number - 1;
                    return strategyPick;
                case StepVerb.Back:
                    if (Back(_strategy!.Choices) is { } previous)
                    {
                        Interrupt(previous);
                    }

                    output.WriteLine("already at the first step");
                    break;
                case StepVerb.Quit:
                    output.WriteLine(line is null ? "(end of input: quit)" : "quit");
                    Interrupt(null);
                    break;
                case StepVerb.Help:
                    output.Write(StepConsole.Help);
                    break;
                case StepVerb.Look:
                    output.Write(StateText(options, step, strategyPick));
                    break;
                case StepVerb.Write:
                    console.SaveFinished(_strategy!.Choices, command.Argument!);
                    break;
                default:
                    output.WriteLine($"{command.Error} (? for help)");
                    break;
            }
        }
    }

    public int ChooseValue(ChoiceKind kind, int maxExclusive, long step, int strategyPick)
    {
        if (_autoSteps > 0 || _quitPending || console.InterruptRequested)
        {
            return strategyPick;
        }

        string what = kind == ChoiceKind.Boolean ? "a boolean (0 or 1)" : string.Create(CultureInfo.InvariantCulture, $"an integer in [0, {maxExclusive})");
        while (true)
        {
            output.Write(string.Create(CultureInfo.InvariantCulture, $"step {step}: the model asks for {what}; Enter lets the strategy pick {strategyPick}> "));
            string? line;
            try
            {
                line = ReadLine();
            }
            catch (OperationCanceledException)
            {
                // A value choice is made inside a step: the next delivery prompt saves and quits.
                return strategyPick;
            }

            string text = line?.Trim() ?? "q";
            if (text is "" or "s")
            {
                return strategyPick;
            }

            if (text == "q")
            {
                _quitPending = true; // quit at the next delivery prompt: a value choice is made inside a step
                return strategyPick;
            }

            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value < maxExclusive)
            {
                return value;
            }

            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"a value in [0, {maxExclusive}), Enter or q here (? for help)"));
        }
    }

    /// <summary>Shows how the run ended: outcome, violation report, warnings, trace hash.</summary>
    public void ShowEnd(RunReport report)
    {
        ShowWarnings();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"== the run ended at step {report.Steps}, tick {report.Ticks}: {report.Violation?.Kind ?? "ok"} =="));
        if (report.Violation is { } v)
        {
            output.Write(v.Message.EndsWith('\n') ? v.Message : v.Message + "\n");
        }

        foreach (string line in report.Description.Where(d => !((_scenario as IMachineScenario)?.Warnings.Contains(d) ?? false)))
        {
            output.WriteLine(line);
        }

        output.WriteLine($"trace hash: {report.TraceHash}");
    }

    /// <summary>After the end: b, w FILE, q, ?. Returns the next prefix, or null to quit.</summary>
    public IReadOnlyList<ScheduleChoice>? EndPrompt(RunReport report)
    {
        output.WriteLine("b steps back, w FILE saves this schedule, q quits");
        while (true)
        {
            output.Write("end> ");
            string? line;
            try
            {
                line = ReadLine();
            }
            catch (OperationCanceledException)
            {
                console.OnInterrupted(report);
                return null;
            }

            StepCommand command = StepCommand.Parse(line, 0);
            switch (command.Verb)
            {
                case StepVerb.Back:
                    return Back(report.Schedule.Choices) ?? [];
                case StepVerb.Quit:
                    output.WriteLine(line is null ? "(end of input: quit)" : "quit");
                    return null;
                case StepVerb.Write:
                    console.Save(report, command.Argument!, string.Create(CultureInfo.InvariantCulture, $"the run ({report.Steps} steps)"));
                    break;
                case StepVerb.Help:
                    output.Write(StepConsole.Help);
                    break;
                default:
                    output.WriteLine($"{command.Error ?? "the run has ended"}: b, w FILE or q (? for help)");
                    break;
            }
        }
    }

    /// <summary>The state before step <paramref name="step"/>: deterministic, so stepping back shows the same text.</summary>
    public string StateText(IReadOnlyList<StepOption> options, long step, int strategyPick)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"--- before step {step}, tick {_system!.Now.Value} ---\n");
        if ((_scenario as IMachineScenario)?.Machine is { } machine)
        {
            text.Append("current: ").Append(CurrentTaskView.Describe(machine.State)).Append('\n');
            IReadOnlyList<string> locks = _narrator.LockLines();
            text.Append(locks.Count == 0 ? "locks: none held\n" : "locks:\n" + string.Concat(locks.Select(l => "  " + l + "\n")));
        }

        int warnings = (_scenario as IMachineScenario)?.Warnings.Count ?? 0;
        if (warnings > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"lockdep warnings so far: {warnings}\n");
        }

        text.Append("next:\n");
        for (int i = 0; i < options.Count; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"  {i + 1}) {_narrator.Describe(options[i])}{(i == strategyPick ? "   <- strategy" : "")}\n");
        }

        return text.ToString();
    }

    /// <summary>Prints the scenario's warnings that appeared since the last ones printed.</summary>
    private void ShowWarnings()
    {
        IReadOnlyList<string> warnings = (_scenario as IMachineScenario)?.Warnings ?? [];
        for (; _warningsShown < warnings.Count; _warningsShown++)
        {
            string w = warnings[_warningsShown];
            output.Write(w.EndsWith('\n') ? w : w + "\n");
        }
    }

    /// <summary>The choices without the last delivery and what followed it; null when there is no delivery to undo.</summary>
    private static ScheduleChoice[]? Back(IReadOnlyList<ScheduleChoice> choices)
    {
        for (int i = choices.Count - 1; i >= 0; i--)
        {
            if (choices[i].Kind == ChoiceKind.Delivery)
            {
                return choices.Take(i).ToArray();
            }
        }

        return null;
    }

    /// <summary>A line at a delivery prompt; an interruption saves the choices so far and quits the session.</summary>
    private string? ReadOrSaveAndQuit()
    {
        try
        {
            return ReadLine();
        }
        catch (OperationCanceledException)
        {
            console.OnInterrupted(_strategy!.Choices);
            NextPrefix = null;
            throw new StepInterruptedException("interrupted");
        }
    }

    /// <summary>One line of input, echoed when asked (null at the end of the input).</summary>
    private string? ReadLine()
    {
        string? line = console.ReadLine();
        if (echo)
        {
            output.WriteLine(line is null ? "" : line.Length > 80 ? line[..80] + "..." : line);
        }

        return line;
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void Interrupt(IReadOnlyList<ScheduleChoice>? next)
    {
        NextPrefix = next;
        throw new StepInterruptedException(next is null ? "quit" : "step back");
    }
}
