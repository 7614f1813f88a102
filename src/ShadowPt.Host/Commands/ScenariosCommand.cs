using System.CommandLine;
using ShadowPt.Scenarios;

namespace ShadowPt.Host.Commands;

/// <summary><c>shadowpt scenarios</c>: one line per built-in scenario.</summary>
internal static class ScenariosCommand
{
    public static Command Create(TextWriter stdout)
    {
        var command = new Command("scenarios", "List the built-in scenarios.");
        command.SetAction(_ =>
        {
            IReadOnlyList<Scenario> all = ScenarioCatalog.All();
            int width = all.Max(s => s.Name.Length);
            foreach (Scenario s in all)
            {
                stdout.WriteLine($"{s.Name.PadRight(width)}  {s.Summary}");
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
