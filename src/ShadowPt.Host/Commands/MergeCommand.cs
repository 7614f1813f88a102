using System.CommandLine;
using System.Globalization;
using ShadowPt.Exploration;

namespace ShadowPt.Host.Commands;

/// <summary><c>shadowpt merge DIR... [-o OUT]</c>: joins the shard directories of one campaign.</summary>
internal static class MergeCommand
{
    public static Command Create(TextWriter stdout)
    {
        var directories = new Argument<string[]>("DIR") { Description = "Campaign directories of the shards of one campaign (explore --campaign DIR --shard i/N).", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string?>("--output", "-o") { Description = "Also write the merged summary to this file.", HelpName = "OUT" };
        var command = new Command("merge", "Join shard results of a campaign: total explored, the violation with the lowest schedule index, the union of coverage.") { directories, output };
        command.SetAction(parsed =>
        {
            MergeResult merged;
            try
            {
                merged = CampaignMerge.Merge(parsed.GetValue(directories)!);
            }
            catch (CampaignException e)
            {
                throw new UsageException(e.Message);
            }

            var text = new StringWriter(CultureInfo.InvariantCulture);
            Write(text, merged);
            stdout.Write(text.ToString());
            if (parsed.GetValue(output) is string file)
            {
                File.WriteAllText(file, text.ToString());
            }

            return merged.FirstViolationIndex >= 0 ? ExitCodes.Violation : ExitCodes.Ok;
        });
        return command;
    }

    private static void Write(TextWriter w, MergeResult m)
    {
        CultureInfo inv = CultureInfo.InvariantCulture;
        w.WriteLine($"campaign: {m.Identity.Scenario}, {m.Identity.Strategy}, campaign seed {m.Identity.Seed.ToString(inv)}, {m.Identity.Schedules.ToString(inv)} schedules");
        string missing = string.Join(',', m.ShardsMissing.Take(20).Select(i => i.ToString(inv)));
        w.WriteLine(string.Create(inv, $"shards: {m.ShardsPresent.Count} of {m.ShardCount}{(missing.Length > 0 ? $" (missing: {missing}{(m.ShardsMissing.Count() > 20 ? ", …" : string.Empty)})" : string.Empty)}"));
        w.WriteLine(string.Create(inv, $"explored: {m.Explored} schedules, {m.DistinctTraces.Count} distinct traces"));
        w.WriteLine(m.Coverage.Describe());
        if (m.FirstViolationIndex >= 0)
        {
            w.WriteLine(string.Create(inv, $"first violation: schedule {m.FirstViolationIndex}"));
            w.WriteLine($"replay: shadowpt replay {ShellQuote.Quote(m.FirstViolationSchedule!)}");
            w.WriteLine("result: violation");
        }
        else
        {
            w.WriteLine("result: ok");
        }
    }
}
