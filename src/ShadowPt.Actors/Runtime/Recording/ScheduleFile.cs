using System.Globalization;
using System.Text;

namespace ShadowPt.Runtime.Recording;

/// <summary>
/// Reads and writes schedules as line-oriented text that diffs well:
/// a header of <c>key value</c> lines, the channel table, then the choices as tokens
/// (<c>d12</c> delivery on channel 12, <c>b1</c> boolean, <c>i4</c> integer), 32 per line.
/// Files are untrusted: every field is validated and every size bounded; errors name the file and line.
/// </summary>
public static class ScheduleFile
{
    /// <summary>The first line of every schedule file.</summary>
    public const string Magic = "shadowpt-schedule 1";

    /// <summary>Largest schedule file read.</summary>
    public const long FileBytesMax = 256L * 1024 * 1024;

    /// <summary>Longest line read.</summary>
    public const int LineLengthMax = 4096;

    /// <summary>Most choices one file may hold.</summary>
    public const int ChoicesMax = 16_000_000;

    private const int TokensPerLine = 32;

    /// <summary>Most check names a schedule may list.</summary>
    public const int ChecksMax = 32;

    public static void Write(Schedule schedule, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        ArgumentNullException.ThrowIfNull(writer);
        CultureInfo inv = CultureInfo.InvariantCulture;
        writer.Write(Magic + "\n");
        writer.Write($"scenario {Clean(schedule.Scenario)}\n");
        if (schedule.ScenarioHash is not null)
        {
            writer.Write($"scenario-hash {schedule.ScenarioHash}\n");
        }

        writer.Write($"strategy {Clean(schedule.Strategy)}\n");
        writer.Write(string.Create(inv, $"seed {schedule.Seed}\nsteps-max {schedule.StepsMax}\nsteps {schedule.Steps}\nticks {schedule.Ticks}\n"));
        writer.Write($"trace-hash {schedule.TraceHash}\nresult {schedule.Result}\n");
        if (schedule.Checks is not null)
        {
            writer.Write($"checks {string.Join(',', schedule.Checks.Select(Clean))}\n");
        }

        writer.Write(string.Create(inv, $"channels {schedule.Channels.Count}\n"));
        for (int i = 0; i < schedule.Channels.Count; i++)
        {
            writer.Write(string.Create(inv, $"channel {i} {Clean(schedule.Channels[i])}\n"));
        }

        writer.Write(string.Create(inv, $"choices {schedule.Choices.Count}\n"));
        var line = new StringBuilder();
        for (int i = 0; i < schedule.Choices.Count; i++)
        {
            line.Append(schedule.Choices[i].ToString()).Append(i % TokensPerLine == TokensPerLine - 1 ? '\n' : ' ');
        }

        if (schedule.Choices.Count % TokensPerLine != 0)
        {
            line.Length--;
            line.Append('\n');
        }

        writer.Write(line.ToString());
        writer.Write("end\n");
    }

    /// <summary>Writes to <paramref name="path"/> through a temporary file and a rename, so an interrupted write never leaves half a schedule.</summary>
    public static void Save(Schedule schedule, string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        string temporary = full + ".tmp";
        using (var writer = new StreamWriter(temporary, false, new UTF8Encoding(false)))
        {
            Write(schedule, writer);
        }

        File.Move(temporary, full, overwrite: true);
    }

    /// <summary>Reads a schedule file; throws <see cref="ScheduleFormatException"/> naming file and line for anything malformed.</summary>
    public static Schedule Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new ScheduleFormatException($"{path}: no such schedule file");
        }

        if (info.Length > FileBytesMax)
        {
            throw new ScheduleFormatException($"{path}: {info.Length} bytes is larger than the {FileBytesMax}-byte limit for schedule files");
        }

        using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: false);
        return Read(reader, path);
    }

    public static Schedule Read(TextReader reader, string source)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return new Parser(reader, source).Parse();
    }

    /// <summary>Keeps a free-text field on one line of printable characters.</summary>
    private static string Clean(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            sb.Append(char.IsControl(c) ? '?' : c);
        }

        return sb.ToString();
    }

    /// <summary>One pass over the lines of one file.</summary>
    private sealed class Parser(TextReader reader, string source)
    {
        private int _lineNumber;

        public Schedule Parse()
        {
            if (NextLine() != Magic)
            {
                throw Error($"not a ShadowPt schedule (the first line must be '{Magic}')");
            }

            string scenario = Text(Field("scenario"));
            string? scenarioHash = null;
            string line = NextLine();
            if (line.StartsWith("scenario-hash ", StringComparison.Ordinal))
            {
                scenarioHash = Hex(line["scenario-hash ".Length..], "scenario-hash");
                line = NextLine();
            }

            string strategy = Text(Value(line, "strategy"));
            ulong seed = UInt64(Field("seed"), "seed");
            long stepsMax = Count(Field("steps-max"), "steps-max", long.MaxValue);
            long steps = Count(Field("steps"), "steps", stepsMax);
            long ticks = Count(Field("ticks"), "ticks", long.MaxValue);
            string traceHash = Hex(Field("trace-hash"), "trace-hash");
            string result = Word(Field("result"), "result");
            string[]? checks = null;
            line = NextLine();
            if (line.StartsWith("checks ", StringComparison.Ordinal))
            {
                checks = line["checks ".Length..].Split(',');
                if (checks.Length > ChecksMax || checks.Any(c => c.Length == 0))
                {
                    throw Error($"checks must be 1 to {ChecksMax} comma-separated words");
                }

                foreach (string c in checks)
                {
                    Word(c, "check");
                }

                line = NextLine();
            }

            string[] channels = Channels((int)Count(Value(line, "channels"), "channels", Schedule.ChannelsMax));
            ScheduleChoice[] choices = Choices((int)Count(Field("choices"), "choices", ChoicesMax), channels.Length);
            if (NextLine() != "end")
            {
                throw Error("expected 'end' after the choices");
            }

            return new Schedule
            {
                Scenario = scenario, ScenarioHash = scenarioHash, Strategy = strategy, Seed = seed, StepsMax = stepsMax,
                Steps = steps, Ticks = ticks, TraceHash = traceHash, Result = result, Checks = checks, Channels = channels, Choices = choices,
            };
        }

        private string[] Channels(int count)
        {
            var channels = new string[count];
            for (int i = 0; i < count; i++)
            {
                string rest = Field("channel");
                int space = rest.IndexOf(' ', StringComparison.Ordinal);
                if (space <= 0 || Count(rest[..space], "channel id", count - 1) != i)
                {
                    throw Error($"expected 'channel {i} <description>'");
                }

                channels[i] = Text(rest[(space + 1)..]);
            }

            return channels;
        }

        private ScheduleChoice[] Choices(int count, int channelCount)
        {
            var choices = new ScheduleChoice[count];
            int filled = 0;
            while (filled < count)
            {
                foreach (string token in NextLine().Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    if (filled == count)
                    {
                        throw Error($"more than the {count} choices the header announced");
                    }

                    choices[filled++] = Choice(token, channelCount);
                }
            }

            return choices;
        }

        private ScheduleChoice Choice(string token, int channelCount)
        {
            ChoiceKind kind = token.Length > 1 ? token[0] switch
            {
                'd' => ChoiceKind.Delivery,
                'b' => ChoiceKind.Boolean,
                'i' => ChoiceKind.Integer,
                _ => throw Error($"bad choice '{Shorten(token)}': expected d<channel>, b<0|1> or i<integer>"),
            }
            : throw Error($"bad choice '{Shorten(token)}'");
            int value = (int)Count(token[1..], "choice value", ScheduleChoice.ValueMax);
            if (kind == ChoiceKind.Delivery && value >= channelCount)
            {
                throw Error($"choice '{token}' names channel {value}, but the file describes {channelCount} channels");
            }

            if (kind == ChoiceKind.Boolean && value > 1)
            {
                throw Error($"boolean choice '{token}' must be b0 or b1");
            }

            return new ScheduleChoice(kind, value);
        }

        private string Field(string key) => Value(NextLine(), key);

        private string Value(string line, string key)
        {
            return line.StartsWith(key + " ", StringComparison.Ordinal) && line.Length > key.Length + 1
                ? line[(key.Length + 1)..]
                : throw Error($"expected '{key} <value>', found '{Shorten(line)}'");
        }

        private string NextLine()
        {
            string? line = ReadBoundedLine();
            _lineNumber++;
            return line ?? throw Error("unexpected end of file");
        }

        private string? ReadBoundedLine()
        {
            var sb = new StringBuilder();
            while (true)
            {
                int c = reader.Read();
                if (c < 0)
                {
                    return sb.Length == 0 ? null : sb.ToString();
                }

                if (c == '\n')
                {
                    return sb.ToString().TrimEnd('\r');
                }

                if (sb.Length >= LineLengthMax)
                {
                    _lineNumber++;
                    throw Error($"line longer than {LineLengthMax} characters");
                }

                sb.Append((char)c);
            }
        }

        private string Text(string value)
        {
            foreach (char c in value)
            {
                if (char.IsControl(c))
                {
                    throw Error("control character in a text field");
                }
            }

            return value;
        }

        private string Word(string value, string what)
        {
            foreach (char c in value)
            {
                if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
                {
                    throw Error($"{what} must be a word of letters, digits, '-' and '_': '{Shorten(value)}'");
                }
            }

            return value;
        }

        private string Hex(string value, string what)
        {
            return value.Length == 16 && value.All(char.IsAsciiHexDigitLower)
                ? value
                : throw Error($"{what} must be 16 lower-case hex digits: '{Shorten(value)}'");
        }

        private ulong UInt64(string value, string what)
        {
            return ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out ulong parsed)
                ? parsed
                : throw Error($"{what} must be an unsigned integer: '{Shorten(value)}'");
        }

        private long Count(string value, string what, long max)
        {
            return long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long parsed) && parsed <= max
                ? parsed
                : throw Error($"{what} must be an integer from 0 to {max}: '{Shorten(value)}'");
        }

        private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "...";

        private ScheduleFormatException Error(string what) => new($"{source}:{_lineNumber}: {what}");
    }
}
