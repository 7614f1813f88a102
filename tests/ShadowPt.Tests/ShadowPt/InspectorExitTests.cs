using ShadowPt.Actors;
using ShadowPt.Kernel;
using ShadowPt.Runtime;
using ShadowPt.Runtime.Actors;
using ShadowPt.Runtime.Strategies;
using ShadowPt.Scenarios;
using ShadowPt.Scenarios.BuiltIn;
using ShadowPt.Spt;

namespace ShadowPt.Tests.Spt;

/// <summary>
/// The inspector exiting at every possible step of a small scenario (before open, between open and
/// start, while reading, between stop and close, after close): afterwards the system is as if close
/// had been called — no frame leaked, no freed shadow frame touched, no notifier registered, the table
/// closed — and a new inspector can open.
/// </summary>
public sealed class InspectorExitTests
{
    /// <summary>The tracked range of the small scenario: the stack mapping and the first two heap pages.</summary>
    private static readonly AddrRange Range = new(ShadowPtScenario.StackAt, ShadowPtScenario.StackAt + (4 * PageGeometry.PageSize));

    private const int Ticks = 3;

    /// <summary>Bound on the enumeration: far above the operations of a complete run.</summary>
    private const int OperationsMax = 1000;

    private const string ExitLine = "inspector exits after ";

    [Fact]
    public void AfterAnExitAtEveryStepNothingIsLeftAndANewInspectorOpens()
    {
        int complete = -1;
        for (int n = 0; n <= OperationsMax && complete < 0; n++)
        {
            for (ulong seed = 1; seed <= 2; seed++)
            {
                IReadOnlyList<string> output = RunExitingAfter(n, seed, out bool exitedEarly);
                if (!exitedEarly)
                {
                    // ExitAfterOperations = n let the run complete: n is the number of operations of a whole run.
                    Assert.Equal("shadowpt_close() = 0", output[^1]);
                    complete = n;
                }
            }
        }

        // The enumeration went through the whole program: rt_sigaction, two mmaps, three stores of the
        // header, open, the load of end_vaddr, start; per tick three loads per entry and a sleep; stop, close.
        Assert.Equal(9 + (Ticks * ((3 * 4) + 1)) + 2, complete);
    }

    [Fact]
    public void WithInspectorExitLeaksTheLeakCheckFiresOnceTheTableIsOpen()
    {
        var kinds = new SortedSet<string>(StringComparer.Ordinal);
        for (int n = 0; n < 20; n++)
        {
            ShadowPtScenario scenario = Small(n, InspectorEnding.Close, Variants.InspectorExitLeaks);
            RunReport report = ScenarioRunner.Run(() => scenario, new RunOptions { Seed = 1 });
            bool opened = report.Description.Contains("shadowpt_open(1) = 0");
            Assert.Equal(opened ? "resource-leak" : null, report.Violation?.Kind);
            kinds.Add(report.Violation?.Kind ?? "ok");
        }

        Assert.Equal(new[] { "ok", "resource-leak" }, kinds);
        RunReport withoutClose = ScenarioRunner.Run(() => Small(null, InspectorEnding.ExitWithoutClose, Variants.InspectorExitLeaks), new RunOptions { Seed = 1 });
        Assert.Equal("resource-leak", withoutClose.Violation?.Kind);
        Assert.Contains("still open after its inspector", withoutClose.Violation!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnInspectorExitingWithoutCloseCleansUpAsCloseWould()
    {
        for (ulong seed = 1; seed <= 10; seed++)
        {
            ShadowPtScenario scenario = Small(null, InspectorEnding.ExitWithoutClose);
            RunReport report = ScenarioRunner.Run(() => scenario, new RunOptions { Seed = seed });
            Assert.Null(report.Violation);
            Assert.DoesNotContain(report.Description, l => l.StartsWith("shadowpt_close", StringComparison.Ordinal));
            AssertCleanedUp(scenario.Machine!.State);
        }
    }

    /// <summary>
    /// One run where the inspector exits after <paramref name="n"/> operations, the checks after it,
    /// a second inspector that must open, and finally the target killed: then no frame is left at all.
    /// </summary>
    private static IReadOnlyList<string> RunExitingAfter(int n, ulong seed, out bool exitedEarly)
    {
        using ActorSystem system = ActorSystem.CreateDeterministic("inspector-exit", new RandomStrategy(seed));
        ShadowPtScenario scenario = Small(n, InspectorEnding.Close);
        scenario.Setup(system);
        Machine machine = scenario.Machine!;
        KernelState state = machine.State;
        RunToQuiescence(system, $"n={n} seed={seed}");
        Assert.Null(scenario.CheckEnd(system));

        IReadOnlyList<string> output = scenario.Output.ToArray();
        exitedEarly = output.Count > 0 && output[^1].StartsWith(ExitLine, StringComparison.Ordinal);
        if (exitedEarly)
        {
            Assert.Equal($"{ExitLine}{n} operations", output[^1]);
        }

        int inspector = state.Tasks.Single(t => t.Comm == "inspector").Pid;
        Assert.True(state.Task(inspector).Exited);
        AssertCleanedUp(state);
        AssertEveryFrameAccountedFor(state);

        // A new inspector opens (and completes) on the same target.
        int second = machine.CreateProcess("inspector2", superuser: true);
        var output2 = new List<string>();
        var spec = new InspectorSpec { TargetPid = 1, StartVaddr = Range.Start.Value, EndVaddr = Range.End.Value, Ticks = 1 };
        system.ActorOf(Props.Create(() => new InspectorActor(machine, spec, second, 1, output2)), "inspector2").Tell(ProcessActor.Start.Instance, null);
        RunToQuiescence(system, $"second inspector after n={n} seed={seed}");
        Assert.Equal("shadowpt_open(1) = 0", output2[0]);
        Assert.Equal("shadowpt_close() = 0", output2[^1]);
        AssertCleanedUp(state);

        // With the target gone too, every frame is back on the free list.
        Task<UserResult> kill = system.Ask<UserResult>(machine.Cpus[0], new UserRequest(1, new SyscallOp(new ExitCall(0))));
        RunToQuiescence(system, $"target exit after n={n} seed={seed}");
        Assert.True(kill.IsCompletedSuccessfully);
        Assert.All(state.Tasks, t => Assert.True(t.Exited, $"{t} did not exit"));
        Assert.Equal(0, state.Frames.AllocatedCount);
        state.AssertInvariants();
        return output;
    }

    /// <summary>As if close had been called: the table closed, no kernel frame, no notifier anywhere.</summary>
    private static void AssertCleanedUp(KernelState state)
    {
        Assert.False(SptScenarios.Table(state).IsOpen);
        Assert.False(SptScenarios.Table(state).Tracking);
        Assert.Equal(0, SptScenarios.KernelFrames(state));
        Assert.Equal(0, SptScenarios.Notifiers(state));
    }

    /// <summary>Allocated frames are exactly the page tables of the live mms and the pages they map.</summary>
    private static void AssertEveryFrameAccountedFor(KernelState state)
    {
        int tables = 0;
        var pages = new HashSet<Pfn>(state.PageCache.Pages);
        foreach (MmStruct mm in state.Mms.Where(m => !m.IsDead))
        {
            tables += 1 + mm.Pgd.UpperTableCount + mm.Pgd.PtePageCount;
            foreach (PteSlot slot in mm.Pgd.EnumeratePtes(new AddrRange(VirtAddr.Zero, new VirtAddr(PageGeometry.TaskSizeMax))))
            {
                if (slot.Pte.IsPresent && slot.Pte.Pfn != FrameAllocator.ZeroPfn)
                {
                    Assert.False(slot.Pte.IsSpecial, $"a special PTE at {slot.Address} outlived the table");
                    pages.Add(slot.Pte.Pfn);
                }
            }
        }

        Assert.Equal(tables + pages.Count, state.Frames.AllocatedCount);
    }

    private static void RunToQuiescence(ActorSystem system, string what)
    {
        RunOutcome outcome = system.Run();
        Assert.True(system.Violation is null, $"{what}: {system.Violation?.Kind}: {system.Violation?.Message}");
        Assert.Equal(RunOutcome.Quiescent, outcome);
    }

    /// <summary>The default target, on 2 CPUs, with an inspector of a 4-page range reading <see cref="Ticks"/> times.</summary>
    private static ShadowPtScenario Small(int? exitAfter, InspectorEnding ending, params string[] variants) => new(
        "inspector-exit",
        new MachineConfig { Cpus = 2, Frames = 512, Variants = new HashSet<string>(variants, StringComparer.Ordinal) },
        ShadowPtScenario.DefaultTarget(),
        pid => new InspectorSpec
        {
            TargetPid = pid,
            StartVaddr = Range.Start.Value,
            EndVaddr = Range.End.Value,
            Ticks = Ticks,
            Ending = ending,
            ExitAfterOperations = exitAfter,
        });
}
