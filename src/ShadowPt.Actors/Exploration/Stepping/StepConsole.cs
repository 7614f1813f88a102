using System.Globalization;
using ShadowPt.Runtime;
using ShadowPt.Runtime.Recording;
using ShadowPt.Runtime.Strategies;
using ShadowPt.Scenarios;

namespace ShadowPt.Exploration.Stepping;

/// <summary>How a step-through session runs its scenario.</summary>
public sealed record StepOptions
{
    /// <summary>The seed of the strategy that picks when the user lets it; null takes the scenario's.</summary>
    public ulong? Seed { get; init; }

    /// <summary>The run's bound on deliveries; null takes the scenario's, else <see cref="StepConsole.StepsMaxDefault"/>.</summary>
    public long? StepsMax { get; init; }

    /// <summary>The checks to run; null keeps the scenario's.</summary>
    public IReadOnlySet<string>? Checks { get; init; }

    /// <summary>Whether each command read is written back after its prompt (input from a file or a pipe, where the terminal does not echo it).</summary>
    public bool Echo { get; init; }

    /// <summary>
    /// Cancelled on Ctrl-C: the session saves its choices so far to <see cref="AutosavePath"/> and quits,
    /// even while it waits for a line. A token that cannot be cancelled reads the input directly.
    /// </summary>
    public CancellationToken Interrupt { get; init; }

    /// <summary>Where an interrupted session saves its choices (finished by the strategy, so the file replays); null saves nothing.</summary>
    public string? AutosavePath { get; init; }
}

/// <summary>
/// The step-through mode (<c>shadowpt step</c>): the user is the scheduler. Before each delivery it
/// shows every CPU's current task, the locks each task holds and waits for, and every enabled delivery
/// in kernel terms, and reads a command: a number picks that delivery, Enter or <c>s</c> lets the
/// strategy pick, <c>b</c> steps back (the run is re-executed from the start with one choice less:
/// runs are deterministic, so that is exact), <c>r N</c> runs N strategy steps, <c>w FILE</c> saves
/// the schedule (finished by the strategy when the run has not ended), <c>q</c> quits. An interruption
/// (<see cref="StepOptions.Interrupt"/>, Ctrl-C) saves the choices so far to <see cref="StepOptions.AutosavePath"/>
/// and quits. All text goes through the given reader and writer, so a test drives it as a user would.
/// </summary>
public sealed class StepConsole
{
    /// <summary>The steps bound when neither the options nor the scenario name one: a session is meant to be short.</summary>
    public const long StepsMaxDefault = 100_000;

    /// <summary>Most executions one session makes (each step back is one).</summary>
    public const int ExecutionsMax = 100_000;

    private readonly Func<Scenario> _factory;
    private readonly TextReader _input;
    private readonly TextWriter _output;
    private readonly StepOptions _options;

    /// <summary>The read in flight on an interruptible input, kept across prompts so no line is lost.</summary>
    private Task<string?>? _pendingRead;

    public StepConsole(Func<Scenario> factory, TextReader input, TextWriter output, StepOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        _factory = factory;
        _input = input;
        _output = output;
        _options = options ?? new StepOptions();
    }

    /// <summary>The help text of the prompt.</summary>
    public const string Help = """
        commands:
          N          deliver choice N next
          s, Enter   let the strategy pick
          b          step back one delivery (re-executes the run from the start)
          r N        run N steps, the strategy picking
          l          show the state again
          w FILE     save the schedule (finished by the strategy if the run goes on); 'shadowpt replay FILE' reproduces it
          q          quit (so does the end of the input)
          ?          this help
        """;

    /// <summary>The session ended because <see cref="StepOptions.Interrupt"/> was cancelled.</summary>
    public bool Interrupted { get; private set; }

    /// <summary>Runs the session until the user quits; returns the report of the last run that ended, or null.</summary>
    public RunReport? Run()
    {
        IReadOnlyList<ScheduleChoice> prefix = [];
        RunReport? last = null;
        for (int execution = 0; execution < ExecutionsMax; execution++)
        {
            (RunReport? report, IReadOnlyList<ScheduleChoice>? next) = Execute(prefix);
            last = report ?? last;
            if (next is null)
            {
                return last;
            }

            prefix = next;
        }

        _output.WriteLine($"shadowpt step: {ExecutionsMax} executions in one session; stopping");
        return last;
    }

    /// <summary>The seed, steps bound and checks of a fresh instance of the scenario.</summary>
    private (Scenario Scenario, ulong Seed, long StepsMax) Fresh()
    {
        Scenario scenario = _factory();
        if (_options.Checks is not null)
        {
            scenario.SelectChecks(_options.Checks);
        }

        return (scenario, _options.Seed ?? scenario.DefaultSeed, _options.StepsMax ?? scenario.DefaultStepsMax ?? StepsMaxDefault);
    }

    /// <summary>
    /// One execution: replays <paramref name="prefix"/>, then asks the user. Returns the report when the
    /// run ended, and the prefix of the next execution (null: quit).
    /// </summary>
    private (RunReport? Report, IReadOnlyList<ScheduleChoice>? Next) Execute(IReadOnlyList<ScheduleChoice> prefix)
    {
        (Scenario scenario, ulong seed, long stepsMax) = Fresh();
        var driver = new StepDriver(this, _output, _options.Echo);
        var strategy = new InteractiveStrategy(prefix, new RandomStrategy(seed), driver);
        using ActorSystem system = ActorSystem.CreateDeterministic(scenario.Name, strategy, new RuntimeLimits { StepsMax = stepsMax });
        scenario.Setup(system);
        driver.Attach(system, scenario, strategy, prefix.Count == 0);
        RunOutcome outcome;
        try
        {
            outcome = system.Run();
        }
        catch (StepInterruptedException)
        {
            return (null, driver.NextPrefix);
        }

        RunReport report = ScenarioRunner.Complete(scenario, system, strategy, seed, outcome);
        driver.ShowEnd(report);
        return (report, driver.EndPrompt(report));
    }

    /// <summary>Finishes a copy of the run from <paramref name="choices"/> with the strategy alone and saves its schedule to <paramref name="path"/>.</summary>
    internal void SaveFinished(IReadOnlyList<ScheduleChoice> choices, string path)
    {
        // This runs inside a choice of the session's own run, whose last delivered actor is still the
        // thread's current one: without clearing it, the new run's Setup would send as that actor.
        Runtime.Actors.ActorCell? outer = Runtime.Actors.ActorCell.Current;
        Runtime.Actors.ActorCell.RestoreCurrent(null);
        try
        {
            (Scenario scenario, ulong seed, long stepsMax) = Fresh();
            var strategy = new InteractiveStrategy([.. choices], new RandomStrategy(seed), new StrategyOnly());
            using ActorSystem system = ActorSystem.CreateDeterministic(scenario.Name, strategy, new RuntimeLimits { StepsMax = stepsMax });
            scenario.Setup(system);
            RunReport report = ScenarioRunner.Complete(scenario, system, strategy, seed, system.Run());
            Save(report, path, $"the run so far, finished by the strategy ({report.Steps} steps)");
        }
        finally
        {
            Runtime.Actors.ActorCell.RestoreCurrent(outer);
        }
    }

    /// <summary>
    /// The next line of input, or null at its end; throws <see cref="OperationCanceledException"/> when
    /// the session is interrupted first. An interruptible read runs on a pool thread (a console read
    /// cannot be cancelled); a line it returns after the interruption is dropped with the session.
    /// </summary>
    internal string? ReadLine()
    {
        CancellationToken interrupt = _options.Interrupt;
        if (!interrupt.CanBeCanceled)
        {
            return _input.ReadLine();
        }

        interrupt.ThrowIfCancellationRequested();
        Task<string?> read = _pendingRead ??= Task.Run(_input.ReadLine, CancellationToken.None);
        read.Wait(interrupt); // a line already read is taken even if the interruption came after it
        _pendingRead = null;
        return read.Result;
    }

    /// <summary>Whether the session was interrupted; checked where it runs without reading (r N).</summary>
    internal bool InterruptRequested => _options.Interrupt.IsCancellationRequested;

    /// <summary>The session was interrupted: saves <paramref name="choices"/> (the run so far, finished by the strategy) to the autosave file.</summary>
    internal void OnInterrupted(IReadOnlyList<ScheduleChoice> choices)
    {
        Interrupted = true;
        _output.WriteLine();
        _output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"interrupted after {choices.Count} choices"));
        if (_options.AutosavePath is string path)
        {
            SaveFinished(choices, path);
        }
    }

    /// <summary>The session was interrupted after its run ended: saves that run's schedule to the autosave file.</summary>
    internal void OnInterrupted(RunReport report)
    {
        Interrupted = true;
        _output.WriteLine();
        _output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"interrupted after the run ended ({report.Steps} steps)"));
        if (_options.AutosavePath is string path)
        {
            Save(report, path, string.Create(CultureInfo.InvariantCulture, $"the run ({report.Steps} steps)"));
        }
    }

    /// <summary>Saves the schedule of <paramref name="report"/>; a one-line error when the file cannot be written.</summary>
    internal void Save(RunReport report, string path, string what)
    {
        try
        {
            ScheduleFile.Save(report.Schedule, path);
            _output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"saved {what}: result {report.Schedule.Result}, trace hash {report.TraceHash}, to {path}"));
            _output.WriteLine($"replay it with: shadowpt replay {ShellQuote(path)}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            _output.WriteLine($"cannot save to '{path}': {e.Message.ReplaceLineEndings(" ")}");
        }
    }

    /// <summary>Quotes <paramref name="word"/> for a POSIX shell (as the host's replay hints do), so the printed command is safe to paste.</summary>
    internal static string ShellQuote(string word)
    {
        bool plain = word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/' or ':' or '=' or '+');
        return plain ? word : "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }

    /// <summary>A driver that always takes the strategy's pick (finishing a run to save it).</summary>
    private sealed class StrategyOnly : IStepDriver
    {
        public int ChooseDelivery(IReadOnlyList<StepOption> options, long step, int strategyPick) => strategyPick;

        public int ChooseValue(ChoiceKind kind, int maxExclusive, long step, int strategyPick) => strategyPick;

        public void OnDelivering(StepOption option, long step)
        {
        }
    }
}
