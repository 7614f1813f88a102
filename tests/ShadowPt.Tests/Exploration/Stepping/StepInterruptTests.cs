using ShadowPt.Exploration.Stepping;
using ShadowPt.Runtime.Recording;
using ShadowPt.Scenarios;
using ShadowPt.Scenarios.BuiltIn.Teaching;
using ShadowPt.Tests.Host;

namespace ShadowPt.Tests.Exploration.Stepping;

/// <summary>
/// Ctrl-C in the step-through mode, injected as the session's cancellation token: the choices made so
/// far are saved to the autosave file, which replays, and the session ends as interrupted.
/// </summary>
public sealed class StepInterruptTests
{
    [Fact]
    public void CtrlCWhileWaitingForALineSavesTheChoicesSoFar()
    {
        using var dir = new TempDir();
        string path = dir.File("auto.schedule");
        using var interrupt = new CancellationTokenSource();
        using var input = new InterruptingReader(["1", "1", "1"], interrupt);
        using var output = new StringWriter();
        var console = new StepConsole(() => new AbbaScenario(), input, output, new StepOptions { Interrupt = interrupt.Token, AutosavePath = path });

        console.Run();

        string text = output.ToString();
        Assert.True(console.Interrupted);
        Assert.Contains("interrupted after 3 choices", text, StringComparison.Ordinal);
        Assert.Contains($"saved the run so far, finished by the strategy (", text, StringComparison.Ordinal);
        Schedule schedule = ScheduleFile.Load(path);

        // The user's three picks (choice 1 each time) open the saved schedule, which replays exactly.
        RunReport stepped = ScenarioRunner.Replay(new AbbaScenario(), schedule, null);
        Assert.Equal(schedule.TraceHash, stepped.TraceHash);
        Assert.True(schedule.Choices.Count > 3);
    }

    [Fact]
    public void CtrlCDuringRunNStopsAtTheNextDeliveryAndSaves()
    {
        using var dir = new TempDir();
        string path = dir.File("auto.schedule");
        using var interrupt = new CancellationTokenSource();
        using var output = new StringWriter();
        using var input = new InterruptingReader(["1", "r 50"], interrupt, cancelWithLast: true);
        var console = new StepConsole(() => new AbbaScenario(), input, output, new StepOptions { Interrupt = interrupt.Token, AutosavePath = path });

        console.Run();

        // "r 50" delivers the second step, then the interruption stops the run before the third.
        Assert.True(console.Interrupted);
        Assert.Contains("interrupted after 2 choices", output.ToString(), StringComparison.Ordinal);
        Assert.True(ScheduleFile.Load(path).Choices.Count > 2);
    }

    [Fact]
    public void CtrlCBeforeAnythingWasReadSavesTheEmptyPrefix()
    {
        using var dir = new TempDir();
        string path = dir.File("auto.schedule");
        using var interrupt = new CancellationTokenSource();
        interrupt.Cancel();
        using var output = new StringWriter();
        var console = new StepConsole(() => new AbbaScenario(), new StringReader("1\n"), output, new StepOptions { Interrupt = interrupt.Token, AutosavePath = path });

        console.Run();

        Assert.True(console.Interrupted);
        Assert.Contains("interrupted after 0 choices", output.ToString(), StringComparison.Ordinal);
        Assert.True(File.Exists(path));
    }

    [Fact]
    public void WithoutAnInterruptionTheSessionIsNotInterrupted()
    {
        using var interrupt = new CancellationTokenSource();
        using var output = new StringWriter();
        var console = new StepConsole(() => new AbbaScenario(), new StringReader("1\nq\n"), output, new StepOptions { Interrupt = interrupt.Token });
        console.Run();
        Assert.False(console.Interrupted);
        Assert.Contains("quit", output.ToString(), StringComparison.Ordinal);
    }

    /// <summary>Gives its lines (with <paramref name="cancelWithLast"/>, cancels as it gives the last), then "presses Ctrl-C" (cancels) and blocks as a terminal waiting for a key would, until disposed.</summary>
    private sealed class InterruptingReader(string[] lines, CancellationTokenSource interrupt, bool cancelWithLast = false) : TextReader
    {
        private readonly ManualResetEventSlim _released = new();
        private int _next;

        public override string? ReadLine()
        {
            if (_next < lines.Length)
            {
                if (cancelWithLast && _next == lines.Length - 1)
                {
                    interrupt.Cancel(); // Ctrl-C right after the last line's Enter
                }

                return lines[_next++];
            }

            interrupt.Cancel();
            _released.Wait();
            return null;
        }

        protected override void Dispose(bool disposing)
        {
            _released.Set();
            base.Dispose(disposing);
        }
    }
}
