using System.CommandLine;
using ShadowPt.Benchmarking;

namespace ShadowPt.Host.Commands;

/// <summary><c>shadowpt bench ...</c>: measured figures, one <c>name: value unit</c> line each on stdout, progress on stderr.</summary>
internal static class BenchCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var quick = new Option<bool>("--quick") { Description = "Fewer deliveries and repetitions: a few seconds instead of about twenty." };
        var runtime = new Command("runtime", "Scheduler throughput: deterministic deliveries/s (ping-pong, 64 pairs, fan-out 1 to 64), bytes per delivery, threaded messages/s on all cores.")
        {
            quick,
        };
        runtime.SetAction(parsed =>
        {
            RuntimeBenchOptions options = parsed.GetValue(quick) ? RuntimeBenchOptions.Quick : RuntimeBenchOptions.Full;
            foreach (BenchFigure figure in RuntimeBenchmarks.Run(options, line => stderr.WriteLine(line)))
            {
                stdout.WriteLine(figure.ToString());
            }

            return ExitCodes.Ok;
        });
        var model = new Command("model", "The Linux model: simulated accesses/s (TLB hits, page walks, faults), bytes per mapped page, cost per access from 1 to 64 CPUs and 1 to 1,000 processes, threaded accesses/s.")
        {
            quick,
        };
        model.SetAction(parsed =>
        {
            ModelBenchOptions options = parsed.GetValue(quick) ? ModelBenchOptions.Quick : ModelBenchOptions.Full;
            foreach (BenchFigure figure in ModelBenchmarks.Run(options, line => stderr.WriteLine(line)))
            {
                stdout.WriteLine(figure.ToString());
            }

            return ExitCodes.Ok;
        });
        var dpor = new Command("dpor", "DFS executions to exhaust small scenarios with partial-order reduction and without (plain DFS capped at 2,000,000 executions or 300 s per scenario; --quick: 200,000 or 30 s).")
        {
            quick,
        };
        dpor.SetAction(parsed =>
        {
            bool q = parsed.GetValue(quick);
            foreach (BenchFigure figure in DporBenchmarks.Run(q ? 200_000 : 2_000_000, TimeSpan.FromSeconds(q ? 30 : 300), line => stderr.WriteLine(line)))
            {
                stdout.WriteLine(figure.ToString());
            }

            return ExitCodes.Ok;
        });
        Command zoo = ZooBenchCommand.Create(stdout, stderr);
        Command explore = ExploreBenchCommand.Create(stdout, stderr);
        var command = new Command("bench", "Measure the simulator (figures are recorded in docs/benchmarks.md).") { runtime, model, dpor, zoo, explore };
        command.SetAction(_ =>
        {
            stderr.WriteLine("shadowpt: bench needs a subject: runtime, model, dpor, zoo or explore (see 'shadowpt bench --help')");
            return ExitCodes.BadInput;
        });
        return command;
    }
}
