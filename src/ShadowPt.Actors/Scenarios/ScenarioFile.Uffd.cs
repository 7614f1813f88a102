using System.Globalization;
using ShadowPt.Kernel;
using ShadowPt.Kernel.Programs;

namespace ShadowPt.Scenarios;

/// <summary>userfaultfd steps of scenario files.</summary>
public static partial class ScenarioFile
{
    /// <summary>The userfaultfd op names (a property: <see cref="OpNames"/>, in another file, is built from it during type initialisation).</summary>
    public static IReadOnlyList<string> UffdOpNames =>
        ["userfaultfd", "uffd-register", "uffd-unregister", "uffd-send", "uffd-recv", "uffd-serve", "uffd-copy", "uffd-zeropage", "uffd-continue", "uffd-wake", "uffd-writeprotect"];

    /// <summary>Feature names of the <c>userfaultfd</c> op.</summary>
    private static readonly (string Name, UffdFeatures Feature)[] FeatureNames =
    [
        ("pagefault-flag-wp", UffdFeatures.PagefaultFlagWp), ("event-fork", UffdFeatures.EventFork), ("event-remap", UffdFeatures.EventRemap),
        ("event-remove", UffdFeatures.EventRemove), ("missing-shmem", UffdFeatures.MissingShmem), ("event-unmap", UffdFeatures.EventUnmap),
        ("minor-shmem", UffdFeatures.MinorShmem), ("wp-shmem", UffdFeatures.WpHugetlbfsShmem),
    ];

    /// <summary>Whether a program uses userfaultfd (its scenario then runs the userfaultfd monitor).</summary>
    internal static bool UsesUffd(IEnumerable<ProcessDefinition> processes) =>
        processes.Any(p => p.Program.Steps.Any(s => s is IUffdStep));

    /// <summary>One userfaultfd step; the caller sets process and think time and checks for unread fields.</summary>
    private static ProgramStep ParseUffd(JsonFields s, string op)
    {
        int uffd = s.Int("uffd", 0, UffdApi.FdsMax - 1, 0);
        string Label() => s.String("label", required: true)!;
        int Page() => s.Int("page", -ProgramLimits.PagesBelowLabelMax, ProgramLimits.PagesPerMappingMax - 1, 0);
        int Pages() => s.Int("pages", 1, ProgramLimits.PagesPerMappingMax, 1);
        byte Fill() => (byte)s.Int("fill", 0, 255, 0x5a);
        return op switch
        {
            "userfaultfd" => new UserfaultfdStep(ParseFeatures(s)),
            "uffd-register" => new UffdRegisterStep(Label(), Page(), Pages(), ParseMode(s)) { Uffd = uffd },
            "uffd-unregister" => new UffdUnregisterStep(Label(), Page(), Pages()) { Uffd = uffd },
            "uffd-send" => new UffdSendStep(ParseTo(s)) { Uffd = uffd },
            "uffd-recv" => new UffdRecvStep(),
            "uffd-serve" => new UffdServeStep(s.RequiredInt("count", 1, ProgramLimits.StepsMax), ParseResolve(s), Fill(), s.Bool("dontwake", false)) { Uffd = uffd },
            "uffd-copy" => new UffdCopyStep(Label(), Page(), Pages(), Fill(), s.Bool("dontwake", false)) { Uffd = uffd },
            "uffd-zeropage" => new UffdZeropageStep(Label(), Page(), Pages()) { Uffd = uffd },
            "uffd-continue" => new UffdContinueStep(Label(), Page(), Pages()) { Uffd = uffd },
            "uffd-wake" => new UffdWakeStep(Label(), Page(), Pages()) { Uffd = uffd },
            _ => new UffdWriteprotectStep(Label(), Page(), Pages(), s.Bool("enable", true)) { Uffd = uffd },
        };
    }

    private static UffdFeatures ParseFeatures(JsonFields s)
    {
        UffdFeatures features = UffdFeatures.None;
        foreach (string word in s.Words("features", FeatureNames.Select(f => f.Name).ToArray()))
        {
            features |= FeatureNames.First(f => f.Name == word).Feature;
        }

        return features;
    }

    private static UffdRegisterMode ParseMode(JsonFields s)
    {
        UffdRegisterMode mode = UffdRegisterMode.None;
        foreach (string word in s.Words("mode", ["missing", "wp", "minor"]))
        {
            mode |= word switch { "missing" => UffdRegisterMode.Missing, "wp" => UffdRegisterMode.Wp, _ => UffdRegisterMode.Minor };
        }

        return mode == UffdRegisterMode.None ? throw s.Error(s.At("mode"), "names at least one of missing, wp, minor") : mode;
    }

    private static UffdResolve ParseResolve(JsonFields s) => (s.String("resolve") ?? "auto") switch
    {
        "auto" => UffdResolve.Auto,
        "copy" => UffdResolve.Copy,
        "zeropage" => UffdResolve.Zeropage,
        "continue" => UffdResolve.Continue,
        "writeprotect" => UffdResolve.Writeprotect,
        "none" => UffdResolve.None,
        _ => throw s.Error(s.At("resolve"), "must be one of: auto, copy, zeropage, continue, writeprotect, none"),
    };

    private static ProcessId ParseTo(JsonFields s)
    {
        string p = s.String("to", required: true)!;
        return p.Length is >= 2 and <= 3 && p[0] == 'p' && int.TryParse(p.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n < ProgramLimits.ProcessesMax
            ? new ProcessId(n)
            : throw s.Error(s.At("to"), $"must be p0 to p{ProgramLimits.ProcessesMax - 1}");
    }
}
