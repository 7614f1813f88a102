using System.Globalization;

namespace ShadowPt.Exploration.Stepping;

/// <summary>What the user typed at a step prompt, parsed.</summary>
internal enum StepVerb
{
    /// <summary>A delivery by its number.</summary>
    Pick,

    /// <summary>Enter or <c>s</c>: the strategy picks.</summary>
    Strategy,

    /// <summary><c>b</c>: one delivery back.</summary>
    Back,

    /// <summary><c>r N</c>: N strategy steps.</summary>
    Run,

    /// <summary><c>w FILE</c>: save the schedule.</summary>
    Write,

    /// <summary><c>q</c>, or the end of the input.</summary>
    Quit,

    /// <summary><c>?</c> or <c>h</c>.</summary>
    Help,

    /// <summary><c>l</c>: show the state again.</summary>
    Look,

    /// <summary>Anything else: <see cref="StepCommand.Error"/> says why.</summary>
    Bad,
}

/// <summary>One parsed command line of the step-through mode.</summary>
internal readonly record struct StepCommand(StepVerb Verb, long Number = 0, string? Argument = null, string? Error = null)
{
    /// <summary>Longest command line read; a longer one is rejected.</summary>
    public const int LineLengthMax = 4096;

    /// <summary>Most steps one <c>r N</c> may run.</summary>
    public const long RunStepsMax = 1_000_000;

    /// <summary>Parses <paramref name="line"/> (null: end of input) at a prompt offering <paramref name="options"/> numbered choices.</summary>
    public static StepCommand Parse(string? line, int options)
    {
        if (line is null)
        {
            return new StepCommand(StepVerb.Quit);
        }

        if (line.Length > LineLengthMax)
        {
            return Bad($"the line is longer than {LineLengthMax} characters");
        }

        string text = line.Trim();
        string[] words = text.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string verb = words.Length == 0 ? "" : words[0];
        string? rest = words.Length > 1 ? words[1] : null;
        return verb switch
        {
            "" or "s" when rest is null => new StepCommand(StepVerb.Strategy),
            "b" when rest is null => new StepCommand(StepVerb.Back),
            "q" when rest is null => new StepCommand(StepVerb.Quit),
            "?" or "h" or "help" when rest is null => new StepCommand(StepVerb.Help),
            "l" when rest is null => new StepCommand(StepVerb.Look),
            "r" => ParseRun(rest),
            "w" => rest is null ? Bad("w needs a file name: w FILE") : new StepCommand(StepVerb.Write, Argument: rest),
            _ when long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long n) => n >= 1 && n <= options
                ? new StepCommand(StepVerb.Pick, n)
                : Bad(options == 0 ? "there is nothing to pick now" : $"no delivery {n}: pick 1 to {options}"),
            _ => Bad($"unknown command '{Shorten(text)}'"),
        };
    }

    private static StepCommand ParseRun(string? rest)
    {
        if (rest is null)
        {
            return new StepCommand(StepVerb.Run, 1);
        }

        return long.TryParse(rest, NumberStyles.None, CultureInfo.InvariantCulture, out long n) && n >= 1 && n <= RunStepsMax
            ? new StepCommand(StepVerb.Run, n)
            : Bad($"r needs a number of steps from 1 to {RunStepsMax}");
    }

    private static StepCommand Bad(string error) => new(StepVerb.Bad, Error: error);

    /// <summary>At most 40 printable characters of what the user typed, for the error line.</summary>
    private static string Shorten(string text)
    {
        string printable = new(text.Select(c => char.IsControl(c) ? '?' : c).Take(40).ToArray());
        return text.Length > 40 ? printable + "..." : printable;
    }
}
