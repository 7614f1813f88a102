using System.CommandLine;
using System.Globalization;
using System.Text;
using ShadowPt.Scenarios;
using ShadowPt.Stress;

namespace ShadowPt.Host.Commands;

/// <summary>
/// <c>shadowpt stress [SCENARIO]</c>: a scenario's processes and inspectors replicated to many, on
/// many CPUs, run over and over with the checkers on for a given time; prints steps/s, memory and the
/// first violation (on the deterministic scheduler with its schedule and the replay command).
/// </summary>
internal static class StressCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var scenario = new Argument<string>("SCENARIO") { Description = "The template: 'default' or a scenario file whose processes and inspectors are replicated.", DefaultValueFactory = _ => ScenarioCatalog.DefaultName };
        var scheduler = new Option<string>("--scheduler") { Description = "deterministic (reproducible schedules) or threaded (the thread pool, not reproducible).", DefaultValueFactory = _ => "deterministic" };
        scheduler.AcceptOnlyFromAmong("deterministic", "threaded");
        var cpus = Bounded("--cpus", "CPUs of the machine.", 4, 1, StressWorld.CpusMax, "N");
        var processes = Bounded("--processes", "Target processes (copies of the template's processes).", 16, 1, StressWorld.ProcessesMax, "N");
        var inspectors = Bounded("--inspectors", "Inspectors (copies of the template's; they share the one shadow table).", 1, 0, StressWorld.InspectorsMax, "N");
        var time = new Option<double>("--time") { Description = "Seconds to run (wall clock).", DefaultValueFactory = _ => 10, HelpName = "SECONDS" };
        time.Validators.Add(r =>
        {
            double t = r.GetValueOrDefault<double>();
            if (!(t > 0 && t <= 7 * 24 * 3600))
            {
                r.AddError("--time must be more than 0 and at most a week of seconds");
            }
        });
        var seed = new Option<ulong>("--seed") { Description = "Seed; run i uses a seed derived from (seed, i).", DefaultValueFactory = _ => 1, HelpName = "S" };
        var runsMax = new Option<long?>("--runs-max") { Description = "Stop after this many runs even if time remains.", HelpName = "N" };
        runsMax.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<long?>() is long n && (n < 1 || n > 1_000_000_000))
            {
                r.AddError("--runs-max must be from 1 to 1000000000");
            }
        });
        var outDir = new Option<string>("--out") { Description = "Directory for the stress world's scenario file and a violation's schedule.", DefaultValueFactory = _ => ".", HelpName = "DIR" };
        var command = new Command("stress", "Run a big world (many CPUs, processes, inspectors) over and over with the checkers on, for a given time.")
        {
            scenario, scheduler, cpus, processes, inspectors, time, seed, runsMax, outDir,
        };
        command.SetAction(parsed =>
        {
            string template = parsed.GetValue(scenario)!;
            byte[] templateJson = template == ScenarioCatalog.DefaultName ? Encoding.UTF8.GetBytes(StressWorld.DefaultTemplate) : ReadTemplate(template);
            byte[] worldJson = StressWorld.Build(templateJson, template, parsed.GetValue(cpus), parsed.GetValue(processes), parsed.GetValue(inspectors));
            string dir = parsed.GetValue(outDir)!;
            Directory.CreateDirectory(dir);
            string name = StressWorld.Parse(worldJson, "stress").Name;
            string worldPath = Path.Combine(dir, name + ".json");
            File.WriteAllBytes(worldPath, worldJson);
            ScenarioDefinition world = StressWorld.Parse(worldJson, worldPath);
            var options = new StressOptions
            {
                Scheduler = parsed.GetValue(scheduler)!,
                TimeMax = TimeSpan.FromSeconds(parsed.GetValue(time)),
                Seed = parsed.GetValue(seed),
                RunsMax = parsed.GetValue(runsMax),
            };
            return Run(stdout, stderr, world, worldPath, options);
        });
        return command;
    }

    private static int Run(TextWriter stdout, TextWriter stderr, ScenarioDefinition world, string worldPath, StressOptions options)
    {
        CultureInfo inv = CultureInfo.InvariantCulture;
        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true; // stop after the current run and print the summary
            cancel.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            stdout.WriteLine($"stress: {world.Name} ({options.Scheduler} scheduler), world saved to {worldPath}");
            DateTime lastProgress = DateTime.UtcNow;
            StressResult result = StressRunner.Run(world, options, p =>
            {
                if (DateTime.UtcNow - lastProgress >= TimeSpan.FromSeconds(1))
                {
                    lastProgress = DateTime.UtcNow;
                    stderr.WriteLine(string.Create(inv, $"stress: {p.Runs} runs, {p.Steps} steps, {p.Steps / Math.Max(p.Elapsed.TotalSeconds, 1e-3):0} steps/s, heap {Mib(p.HeapBytes)} MiB, working set {Mib(p.WorkingSetBytes)} MiB, {p.Elapsed.TotalSeconds:0.0} s"));
                }
            }, cancel.Token);
            stdout.WriteLine($"checks: {(result.Checks.Count == 0 ? "none" : string.Join(",", result.Checks))}");
            stdout.WriteLine(string.Create(inv, $"runs: {result.Runs}"));
            stdout.WriteLine(string.Create(inv, $"steps: {result.Steps}"));
            stdout.WriteLine(string.Create(inv, $"elapsed: {result.Elapsed.TotalSeconds:0.00} s{(result.Cancelled ? " (interrupted)" : string.Empty)}"));
            stdout.WriteLine(string.Create(inv, $"steps/s: {result.StepsPerSecond:0}"));
            stdout.WriteLine(string.Create(inv, $"gc-heap-max: {Mib(result.HeapBytesMax)} MiB"));
            stdout.WriteLine(string.Create(inv, $"working-set-max: {Mib(result.WorkingSetBytesMax)} MiB"));
            if (result.Report is RunReport report)
            {
                string schedule = Path.Combine(Path.GetDirectoryName(worldPath)!, string.Create(inv, $"{world.Name}-seed{report.Seed}.schedule"));
                return Summary.Print(stdout, report, schedule);
            }

            if (result.Violation is { } v)
            {
                stdout.WriteLine(string.Create(inv, $"violation: {v.Kind} (threaded run {result.Runs}: not reproducible; run the deterministic scheduler for a schedule)"));
                foreach (string line in v.Message.Split('\n'))
                {
                    stdout.WriteLine(line.Length == 0 ? string.Empty : "  " + line);
                }

                stdout.WriteLine($"result: violation: {v.Kind}");
                return ExitCodes.Violation;
            }

            stdout.WriteLine("result: ok");
            return ExitCodes.Ok;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    private static byte[] ReadTemplate(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new UsageException($"no such scenario: '{path}' (stress takes 'default' or a scenario file)");
        }

        return info.Length <= ScenarioFile.FileBytesMax
            ? File.ReadAllBytes(path)
            : throw new UsageException($"{path}: {info.Length} bytes is larger than the {ScenarioFile.FileBytesMax}-byte limit for scenario files");
    }

    private static Option<int> Bounded(string name, string description, int value, int min, int max, string helpName)
    {
        var option = new Option<int>(name) { Description = $"{description} {min} to {max}.", DefaultValueFactory = _ => value, HelpName = helpName };
        option.Validators.Add(r =>
        {
            int n = r.GetValueOrDefault<int>();
            if (n < min || n > max)
            {
                r.AddError(string.Create(CultureInfo.InvariantCulture, $"{name} must be from {min} to {max}"));
            }
        });
        return option;
    }

    private static string Mib(long bytes) => (bytes / (1024.0 * 1024.0)).ToString("0.0", CultureInfo.InvariantCulture);
}
