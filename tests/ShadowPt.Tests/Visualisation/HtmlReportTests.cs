using Microsoft.Playwright;
using ShadowPt.Spt;
using ShadowPt.Tests.Host;
using ShadowPt.Visualisation;

namespace ShadowPt.Tests.Visualisation;

/// <summary>shadowpt report: one self-contained page, escaped, driven in a real headless browser (Debian's chromium through Playwright).</summary>
public sealed class HtmlReportTests
{
    private const string Chromium = "/usr/bin/chromium";

    [Fact]
    public void NamesFromTheScenarioAreEscapedAndTheJsonCannotCloseItsScript()
    {
        const string evil = "</script><img src=x onerror=alert(1)>&";
        var snapshot = new ShadowSnapshot(3, 1, evil, [new ShadowPte(0x1000, 5, 7)], [new ShadowPte(0x1000, 0, 3)]);
        var recording = new RunRecording
        {
            Scenario = evil,
            Cpus = 1,
            Tracks = [new RecordedTrack(0, "cpu0"), new RecordedTrack(RunRecording.TaskTrackBase + 1, evil + "-1")],
            Events =
            [
                new RecordedEvent(1, 0, 0, 1, RecordedPhase.Begin, "lock", evil) { Fields = [new("at", evil)] },
                new RecordedEvent(2, 0, 0, 1, RecordedPhase.End, "lock", evil),
            ],
            EventsDropped = 0,
            Snapshots = [snapshot],
            SnapshotsDropped = 0,
            LockDependencies = [new LockDependency(evil, "b", evil, evil, 0, 1, 1), new LockDependency("b", evil, "x", "y", 0, 1, 2)],
            CurrentChanges = [new CpuCurrentChange(0, 0, 1, evil)],
        };
        string html = HtmlReport.Render(recording);
        Assert.DoesNotContain("<img", html, StringComparison.Ordinal);
        Assert.Contains("&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;&amp;", html, StringComparison.Ordinal);
        int json = html.IndexOf("id=\"snapshots\">", StringComparison.Ordinal);
        string script = html[json..html.IndexOf("</script>", json, StringComparison.Ordinal)];
        Assert.DoesNotContain("<", script[15..], StringComparison.Ordinal);
        Assert.Contains("\\u003c/script\\u003e", script, StringComparison.OrdinalIgnoreCase);
        int current = html.IndexOf("id=\"current\">", StringComparison.Ordinal);
        Assert.DoesNotContain("<", html[(current + 13)..html.IndexOf("</script>", current, StringComparison.Ordinal)], StringComparison.Ordinal);
        Assert.Contains("<td>&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;&amp;-1</td>", html, StringComparison.Ordinal); // the per-cpu row
        Assert.Equal(3, html.Split("<script", StringSplitOptions.None).Length - 1);
        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org/2000/svg", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheReportOfAZooViolationShowsEveryCpuAndTheDifferingEntryInAHeadlessBrowser()
    {
        Assert.True(File.Exists(Chromium), $"this test drives Debian's chromium at {Chromium}, which is missing: install it with 'apt-get install -y chromium' (the README's test command does)");
        using var dir = new TempDir();
        string schedule = VizScenarios.SaveSchedule(dir, "inval", VizScenarios.InvalidateStart);
        string page = dir.File("report.html");
        var result = CliRunner.Run("report", schedule, "-o", page);
        Assert.Equal(0, result.Exit);

        using IPlaywright playwright = await Playwright.CreateAsync();
        await using IBrowserContext browser = await playwright.Chromium.LaunchPersistentContextAsync(dir.File("profile"), new BrowserTypeLaunchPersistentContextOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
            ViewportSize = new ViewportSize { Width = 1400, Height = 1800 },
            Timeout = 60_000,
        });
        var external = new List<string>();
        await browser.RouteAsync("**/*", async route =>
        {
            if (route.Request.Url.StartsWith("file://", StringComparison.Ordinal))
            {
                await route.ContinueAsync();
            }
            else
            {
                external.Add(route.Request.Url);
                await route.AbortAsync();
            }
        });
        IPage tab = browser.Pages.Count > 0 ? browser.Pages[0] : await browser.NewPageAsync();
        var errors = new List<string>();
        tab.PageError += (_, e) => errors.Add(e);
        await tab.GotoAsync(new Uri(page).AbsoluteUri);

        foreach (string cpu in new[] { "cpu0", "cpu1" })
        {
            ILocator row = tab.Locator($"#timeline g.track[data-track=\"{cpu}\"]");
            Assert.Equal(1, await row.CountAsync());
            Assert.True(await row.IsVisibleAsync(), cpu + " row hidden");
        }

        Assert.True(await tab.Locator("#timeline rect.span-lock").CountAsync() > 0, "no lock spans");
        Assert.Equal(0, await tab.Locator("#shadow tr.diff").CountAsync()); // the first snapshot agrees with the truth
        await tab.ClickAsync("#toviolation");
        ILocator differing = tab.Locator("#shadow tr.diff");
        Assert.Equal(1, await differing.CountAsync());
        Assert.True(await differing.IsVisibleAsync());
        Assert.Equal("0", await differing.GetAttributeAsync("data-entry"));
        Assert.Contains("quiescent", await tab.InnerTextAsync("#snaplabel"), StringComparison.Ordinal);
        Assert.Equal("0xc", (await differing.Locator("td").Nth(2).InnerTextAsync()).Trim()); // the table still maps the dropped page

        // The per-cpu current view: first at the violation, where the racing CPUs run their tasks; the
        // shadow slider moved it to the snapshot's step; its own button brings it back.
        string violationStep = (await tab.GetAttributeAsync("body", "data-violation-step"))!;
        Assert.NotEqual("-1", violationStep);
        Assert.True(int.Parse(violationStep, System.Globalization.CultureInfo.InvariantCulture) > 0);
        await tab.ClickAsync("#cpu-toviolation");
        Assert.Equal(violationStep, await tab.InputValueAsync("#cpustep"));
        Assert.Equal(violationStep, await tab.GetAttributeAsync("#percpu", "data-step"));
        string[] atViolation = await tab.Locator("#percpu tbody tr").EvaluateAllAsync<string[]>("rows => rows.map(r => r.innerText.replace(/\\s+/g, ' ').trim())");
        Assert.Equal(["cpu0 t-1", "cpu1 swapper/1 (idle)"], atViolation); // as explain says: the inspector has exited
        await tab.FillAsync("#cpustep", "0");
        string[] atStart = await tab.Locator("#percpu tbody tr").EvaluateAllAsync<string[]>("rows => rows.map(r => r.innerText.replace(/\\s+/g, ' ').trim())");
        Assert.Equal(["cpu0 swapper/0 (idle)", "cpu1 swapper/1 (idle)"], atStart);
        await tab.ClickAsync("#cpu-toviolation"); // the screenshot shows the violation

        string artifacts = Path.Combine(AppContext.BaseDirectory, "TestResults");
        Directory.CreateDirectory(artifacts);
        string shot = Path.Combine(artifacts, "report-invalidate-start.png");
        await tab.ScreenshotAsync(new PageScreenshotOptions { Path = shot, FullPage = true });
        Assert.True(new FileInfo(shot).Length > 10_000);
        Assert.Empty(errors);
        Assert.Empty(external);
    }
}
