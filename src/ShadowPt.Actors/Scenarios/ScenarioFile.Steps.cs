using System.Text.Json;
using ShadowPt.Kernel;
using ShadowPt.Kernel.Programs;

namespace ShadowPt.Scenarios;

/// <summary>Program steps of scenario files.</summary>
public static partial class ScenarioFile
{
    /// <summary>The op names a step may have.</summary>
    public static readonly IReadOnlyList<string> OpNames =
        ["mmap", "munmap", "mprotect", "read", "write", "madvise-dontneed", "mlock", "munlock", "fork", "exit", "execve", "brk", "repeat",
            "spin", "set-mempolicy", "madvise-pageout", "process-madvise-pageout", "clear-refs", "mlockall", "procmem-write", "track-writes-mprotect", "uffd-wp-monitor", .. UffdOpNames];

    /// <summary>Turns step objects into program steps, expanding repeat blocks.</summary>
    private sealed class StepReader(JsonFields process)
    {
        /// <summary>The id the next fork gives its child.</summary>
        private int _nextChild = 1;

        public void ReadSteps(IReadOnlyList<JsonElement> items, string path, List<ProgramStep> steps, int depth)
        {
            for (int i = 0; i < items.Count; i++)
            {
                ReadStep(new JsonFields(items[i], process.Source, $"{path}[{i}]"), steps, depth);
            }
        }

        private void ReadStep(JsonFields s, List<ProgramStep> steps, int depth)
        {
            string op = s.String("op", required: true) is string o && OpNames.Contains(o) ? o : throw Error(s, "op", $"must be one of: {string.Join(", ", OpNames)}");
            if (op == "repeat")
            {
                ReadRepeat(s, steps, depth);
                return;
            }

            ProgramStep step = op switch
            {
                "mmap" => ParseMmap(s),
                "munmap" => new MunmapStep(Label(s), Page(s), Pages(s)),
                "mprotect" => new MprotectStep(Label(s), Page(s), Pages(s), ParseProt(s)),
                "read" => new ReadStep(Label(s), Page(s)),
                "write" => new WriteStep(Label(s), Page(s), (byte)s.Int("value", 0, 255, 0x41)),
                "madvise-dontneed" => new MadviseDontneedStep(Label(s), Page(s), Pages(s)),
                "procmem-write" => new ProcMemWriteStep(Label(s), Page(s), (byte)s.Int("value", 0, 255, 0x41), s.Has("into") ? ParseProcessId(s, "into") : null),
                "mlock" => new MlockStep(Label(s), Page(s), Pages(s)),
                "munlock" => new MunlockStep(Label(s), Page(s), Pages(s)),
                "fork" => Fork(s),
                "exit" => new ExitStep(),
                "execve" => new ExecveStep(),
                "spin" => new SpinStep(Label(s), Page(s), s.Long("ticks", 1, SpinStep.TicksMax, 1), (byte)s.Int("value", 0, 255, 0x41)),
                "set-mempolicy" => ParseSetMempolicy(s),
                "madvise-pageout" => new MadvisePageoutStep(Label(s), Page(s), Pages(s)),
                "process-madvise-pageout" => new ProcessMadvisePageoutStep(Target(s, required: true)!, ParseAddress(s), Pages(s)),
                "clear-refs" => new ClearRefsStep(Target(s, required: false)),
                "mlockall" => new MlockallStep(ParseMlockallFlags(s)),
                "track-writes-mprotect" => new MprotectTrackStep(),
                "uffd-wp-monitor" => new UffdWpMonitorStep(s.Int("uffd", 0, UffdApi.FdsMax - 1, 0)),
                _ when UffdOpNames.Contains(op) => ParseUffd(s, op),
                _ => new BrkStep(s.RequiredInt("pages", -ProgramLimits.PagesPerMappingMax, ProgramLimits.PagesPerMappingMax)),
            };
            step = step with { Process = ParseProcessId(s), ThinkTicks = s.Long("think", 0, ProgramLimits.ThinkTicksMax, 0) };
            s.Done();
            if (steps.Count >= ProgramLimits.StepsMax)
            {
                throw process.Error(process.At("program"), $"has more than {ProgramLimits.StepsMax} steps once repeats are expanded");
            }

            steps.Add(step);
        }

        private void ReadRepeat(JsonFields s, List<ProgramStep> steps, int depth)
        {
            if (depth >= RepeatDepthMax)
            {
                throw Error(s, "op", $"repeat blocks nest at most {RepeatDepthMax} deep");
            }

            int times = s.RequiredInt("times", 1, ProgramLimits.StepsMax);
            IReadOnlyList<JsonElement> body = s.Array("steps", ProgramLimits.StepsMax, required: true);
            s.Done();
            for (int t = 0; t < times; t++)
            {
                ReadSteps(body, s.At("steps"), steps, depth + 1);
            }
        }

        private static MmapStep ParseMmap(JsonFields s)
        {
            string? file = s.String("file");
            MapFlags flags = ParseFlags(s, file is null);
            return new MmapStep(Label(s), s.RequiredInt("pages", 1, ProgramLimits.PagesPerMappingMax), ParseProt(s), flags)
            {
                File = file,
                PgoffPages = s.Int("offset", 0, 1 << 20, 0),
            };
        }

        private ForkStep Fork(JsonFields s)
        {
            var child = new ProcessId(_nextChild++);
            string? named = s.String("child");
            if (named is not null && named != child.ToString())
            {
                throw Error(s, "child", $"this fork creates {child}; children are numbered in fork order");
            }

            return new ForkStep(child);
        }

        private static ProcessId ParseProcessId(JsonFields s, string field = "process")
        {
            string? p = s.String(field);
            if (p is null)
            {
                return ProcessId.Root;
            }

            return p.Length is >= 2 and <= 3 && p[0] == 'p' && int.TryParse(p.AsSpan(1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n) && n < ProgramLimits.ProcessesMax
                ? new ProcessId(n)
                : throw Error(s, field, $"must be p0 to p{ProgramLimits.ProcessesMax - 1}");
        }

        private static string Label(JsonFields s) => s.String("label", required: true)!;

        /// <summary>The process a clear-refs or process-madvise step acts on, by name (checked like process names).</summary>
        private static string? Target(JsonFields s, bool required) => s.Name("target", required);

        /// <summary>A page-aligned user address written as a hex string, e.g. "0x10002000".</summary>
        private static ulong ParseAddress(JsonFields s)
        {
            string text = s.String("address", required: true)!;
            if (text.StartsWith("0x", StringComparison.Ordinal) && text.Length is > 2 and <= 18
                && ulong.TryParse(text.AsSpan(2), System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out ulong address)
                && (address & (PageGeometry.PageSize - 1)) == 0 && address < PageGeometry.TaskSizeMax)
            {
                return address;
            }

            throw Error(s, "address", "must be a page-aligned user address in hex, such as \"0x10002000\"");
        }

        private static MlockallFlags ParseMlockallFlags(JsonFields s)
        {
            MlockallFlags flags = MlockallFlags.None;
            foreach (string word in s.Words("flags", ["current", "future", "onfault"]))
            {
                flags |= word switch
                {
                    "current" => MlockallFlags.Current,
                    "future" => MlockallFlags.Future,
                    _ => MlockallFlags.OnFault,
                };
            }

            return flags;
        }

        private static int Page(JsonFields s) => s.Int("page", -ProgramLimits.PagesBelowLabelMax, ProgramLimits.PagesPerMappingMax - 1, 0);

        private static int Pages(JsonFields s) => s.Int("pages", 1, ProgramLimits.PagesPerMappingMax, 1);

        private static Prot ParseProt(JsonFields s)
        {
            string text = s.String("prot") ?? "rw";
            Prot prot = Prot.None;
            foreach (char c in text)
            {
                prot |= c switch
                {
                    'r' => Prot.Read,
                    'w' => Prot.Write,
                    'x' => Prot.Exec,
                    '-' => Prot.None,
                    _ => throw Error(s, "prot", "must be made of r, w, x and -, such as \"rw\" or \"r--\""),
                };
            }

            return prot;
        }

        private static MapFlags ParseFlags(JsonFields s, bool anonymousByDefault)
        {
            IReadOnlyList<string> words = s.Words("flags", ["private", "shared", "anonymous", "growsdown"]);
            MapFlags flags = words.Count == 0 ? MapFlags.Private | (anonymousByDefault ? MapFlags.Anonymous : MapFlags.None) : MapFlags.None;
            foreach (string word in words)
            {
                flags |= word switch
                {
                    "private" => MapFlags.Private,
                    "shared" => MapFlags.Shared,
                    "anonymous" => MapFlags.Anonymous,
                    _ => MapFlags.GrowsDown,
                };
            }

            return flags;
        }

        private static ScenarioFormatException Error(JsonFields s, string field, string reason) => s.Error(s.At(field), reason);
    }
}
