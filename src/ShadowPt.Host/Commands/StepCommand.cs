using System.CommandLine;
using ShadowPt.Exploration.Stepping;
using ShadowPt.Scenarios;

namespace ShadowPt.Host.Commands;

/// <summary><c>shadowpt step [SCENARIO]</c>: the step-through mode, the user as the scheduler, on standard input and output.</summary>
internal static class StepCommand
{
    /// <summary>The scenario <c>shadowpt step</c> runs when none is named: the ABBA lesson.</summary>
    public const string DefaultScenario = "abba";

    /// <summary>The file Ctrl-C saves a session to when --autosave names none.</summary>
    public const string AutosaveDefault = "shadowpt-step.autosave.schedule";

    public static Command Create(TextReader stdin, TextWriter stdout)
    {
        var scenario = new Argument<string>("SCENARIO")
        {
            Description = "A built-in scenario (see 'shadowpt scenarios'; the teaching ones are abba, shootdown, shootdown-nowait, inspector-exit) or a scenario file.",
            DefaultValueFactory = _ => DefaultScenario,
        };
        var seed = new Option<ulong?>("--seed") { Description = "Seed of the strategy that picks when you let it (default: the scenario's).", HelpName = "N" };
        var stepsMax = new Option<long?>("--steps-max") { Description = $"Most deliveries in the run (default: the scenario's, else {StepConsole.StepsMaxDefault}).", HelpName = "N" };
        stepsMax.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<long?>() < 1)
            {
                r.AddError("--steps-max must be at least 1");
            }
        });
        var autosave = new Option<string>("--autosave")
        {
            Description = $"Where Ctrl-C saves the session's choices so far, finished by the strategy so the file replays (default: {AutosaveDefault} in the current directory).",
            HelpName = "FILE",
            DefaultValueFactory = _ => AutosaveDefault,
        };
        var command = new Command(
            "step",
            "Step through a scenario as its scheduler: before each delivery see every CPU's current task, the locks held and waited for, and the enabled deliveries in kernel terms; pick one by number, let the strategy pick (Enter), step back (b), run N steps (r N), save the schedule (w FILE), quit (q). Reads commands from standard input; Ctrl-C saves the choices so far to the autosave file and quits (exit code 130).")
        {
            scenario, seed, stepsMax, autosave,
        };
        command.SetAction(parsed =>
        {
            Func<Scenario> factory = RunCommand.ResolveScenario(parsed.GetValue(scenario)!);
            using var interrupt = new CancellationTokenSource();
            ConsoleCancelEventHandler onCancel = (_, e) =>
            {
                // The first Ctrl-C saves and quits; a second one (the save hanging) ends the process.
                e.Cancel = !interrupt.IsCancellationRequested;
                interrupt.Cancel();
            };
            Console.CancelKeyPress += onCancel;
            try
            {
                var console = new StepConsole(factory, stdin, stdout, new StepOptions
                {
                    Seed = parsed.GetValue(seed),
                    StepsMax = parsed.GetValue(stepsMax),
                    Echo = !ReferenceEquals(stdin, Console.In) || Console.IsInputRedirected,
                    Interrupt = interrupt.Token,
                    AutosavePath = parsed.GetValue(autosave),
                });
                RunReport? last = console.Run();
                return console.Interrupted ? ExitCodes.Interrupted : last?.Violation is null ? ExitCodes.Ok : ExitCodes.Violation;
            }
            finally
            {
                Console.CancelKeyPress -= onCancel;
            }
        });
        return command;
    }
}
