using System.Text.RegularExpressions;
using ShadowPt.Actors;
using ShadowPt.Checking;
using ShadowPt.Kernel;
using ShadowPt.Runtime;
using ShadowPt.Runtime.Actors;
using ShadowPt.Runtime.Async;
using ShadowPt.Scenarios;
using ShadowPt.Scenarios.BuiltIn;

namespace ShadowPt.Tests.Checking;

/// <summary>Helpers of the TLB-coherence tests: scenarios, the mirror checked against the real TLBs, report matching.</summary>
internal static class TlbCoherenceWorld
{
    /// <summary>The default target and an inspector reading for 3 ticks, with <paramref name="variants"/> on and every check.</summary>
    public static ShadowPtScenario Scenario(params string[] variants) => new(
        "tlb-coherence",
        new MachineConfig { Cpus = 2, Frames = 1024, Variants = new HashSet<string>(variants, StringComparer.Ordinal) },
        ShadowPtScenario.DefaultTarget(),
        pid => new InspectorSpec { TargetPid = pid, StartVaddr = ShadowPtScenario.Tracked.Start.Value, EndVaddr = ShadowPtScenario.Tracked.End.Value, Ticks = 3 });

    /// <summary>The kernel context of a CPU of <paramref name="machine"/>, read while the system is not running.</summary>
    public static KernelContext Cpu(Machine machine, int cpu) =>
        ((CpuActor)((LocalActorRef)machine.Cpus[cpu]).Cell.Actor!).Kernel;

    /// <summary>The checker's mirror holds exactly what every TLB holds, and knows each CPU's flush generation.</summary>
    public static void AssertMirrorExact(Machine machine, TlbCoherenceObserver observer)
    {
        for (int cpu = 0; cpu < machine.Config.Cpus; cpu++)
        {
            if (((LocalActorRef)machine.Cpus[cpu]).Cell.Actor is null)
            {
                continue;
            }

            KernelContext k = Cpu(machine, cpu);
            var id = new CpuId(cpu);
            TlbEntry[] real = k.Tlb.Entries().OrderBy(e => e.Mm.Value).ThenBy(e => e.Vpn).ToArray();
            TlbEntry[] mirrored = observer.Mirror.CachedOn(id).Select(t => t.Entry).OrderBy(e => e.Mm.Value).ThenBy(e => e.Vpn).ToArray();
            Assert.Equal(real, mirrored);
            foreach (MmStruct mm in machine.State.Mms)
            {
                if (k.LocalTlbGen(mm.Id) is long gen)
                {
                    Assert.Equal(gen, observer.Mirror.LocalGen(id, mm.Id));
                }
            }
        }
    }

    /// <summary>
    /// Each line of <paramref name="report"/> matches the pattern at the same index: the text as
    /// written, where <c>{n}</c> stands for a number (steps shift whenever the model changes).
    /// </summary>
    public static void AssertReport(string report, params string[] lines)
    {
        string[] actual = report.TrimEnd('\n').Split('\n');
        Assert.True(actual.Length == lines.Length, $"the report has {actual.Length} lines, not {lines.Length}:\n{report}");
        for (int i = 0; i < lines.Length; i++)
        {
            string pattern = "^" + Regex.Escape(lines[i]).Replace(@"\{n}", "[0-9]+", StringComparison.Ordinal) + "$";
            Assert.True(Regex.IsMatch(actual[i], pattern), $"line {i} of the report is\n{actual[i]}\nexpected\n{lines[i]}\nreport:\n{report}");
        }
    }

    /// <summary>Runs <paramref name="scenario"/> once and returns the report (the checker attached by its Setup).</summary>
    public static RunReport Run(Func<ShadowPtScenario> scenario, ulong seed) => ScenarioRunner.Run(scenario, new RunOptions { Seed = seed });

    /// <summary>
    /// A driver's bug, for the use-after-free report: it remembered the frame behind a user address
    /// without taking a reference (no get_page / pin), and reads it later, after the user unmapped it.
    /// </summary>
    public sealed record StalePfnReadCall(Pfn Pfn) : Syscall
    {
        public override string Name => "stale_pfn_read";

        /// <summary>Registers the call's handler (the registry is process-wide; registering twice is harmless).</summary>
        public static void Install() => ExtraSyscalls.Register<StalePfnReadCall>(Read);

        private static async ActorTask<long> Read(KernelContext k, StalePfnReadCall call)
        {
            string who = k.Label("stale_pfn_read");
            return (long)await k.Mem("stale_pfn_read", s => s.Frames.ReadU64(call.Pfn, 0, s.Who(who)));
        }
    }
}
