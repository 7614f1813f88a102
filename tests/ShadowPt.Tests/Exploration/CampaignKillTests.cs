using System.Diagnostics;
using ShadowPt.Exploration;
using ShadowPt.Scenarios;
using ShadowPt.Tests.Host;

namespace ShadowPt.Tests.Exploration;

/// <summary>A real <c>kill -9</c> of a <c>shadowpt explore --campaign</c> process, then a resume that ends as an uninterrupted run.</summary>
public sealed class CampaignKillTests
{
    /// <summary>Bound on waiting for the child's first journal line (a slow, loaded machine; not a timing assertion).</summary>
    private static readonly TimeSpan WaitMax = TimeSpan.FromSeconds(120);

    [Fact]
    public void AKilledCampaignResumesToTheUninterruptedResult()
    {
        var options = new ExploreOptions { Schedules = 64 * 30, Seed = 3, Workers = 1 };
        using var dir = new TempDir();
        string campaign = dir.File("c");
        string host = Path.Combine(AppContext.BaseDirectory, "shadowpt.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in (string[])[host, "explore", "counter", "--schedules", options.Schedules.ToString(System.Globalization.CultureInfo.InvariantCulture), "--seed", "3", "--workers", "1", "--campaign", campaign])
        {
            start.ArgumentList.Add(a);
        }

        using (Process child = Process.Start(start)!)
        {
            string journal = Path.Combine(campaign, CampaignStore.JournalName);
            var waited = Stopwatch.StartNew();
            while ((!File.Exists(journal) || new FileInfo(journal).Length == 0) && waited.Elapsed < WaitMax)
            {
                if (child.WaitForExit(10)) // a bounded poll of the journal, not a wait for time to pass
                {
                    break;
                }
            }

            Assert.True(File.Exists(journal), "the child never finished a batch");
            if (!child.HasExited)
            {
                child.Kill(entireProcessTree: true); // SIGKILL: no handler runs
            }

            child.WaitForExit();
        }

        Func<Scenario> counter = () => ScenarioCatalog.TryCreate("counter")!;
        ExploreResult resumed = CampaignRunner.Run(counter, options, CampaignStore.Open(campaign, CampaignIdentity.Of(counter(), options), Shard.Whole), Shard.Whole, null, default);
        ExploreResult whole = Explorer.Run(counter, options);
        Assert.True(resumed.Resumed >= 1);
        Assert.Equal(whole.Explored, resumed.Explored);
        Assert.Equal(whole.DistinctTraces.Count, resumed.DistinctTraces.Count);
        Assert.Equal(whole.Coverage!.States, resumed.Coverage!.States);
        Assert.Equal(whole.Coverage.Orderings, resumed.Coverage.Orderings);
    }
}
