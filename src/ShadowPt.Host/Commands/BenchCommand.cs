using System.CommandLine;

namespace ShadowPt.Host.Commands;

/// <summary><c>shadowpt bench ...</c>: measured figures, one <c>name: value</c> line each.</summary>
internal static class BenchCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var command = new Command("bench", "Measure the simulator (figures are recorded in docs/benchmarks.md).");
        return command;
    }
}
