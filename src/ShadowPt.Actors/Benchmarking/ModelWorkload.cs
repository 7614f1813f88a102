using ShadowPt.Actors;
using ShadowPt.Kernel;
using ShadowPt.Runtime;
using ShadowPt.Runtime.Actors;
using ShadowPt.Runtime.Strategies;

namespace ShadowPt.Benchmarking;

/// <summary>
/// A booted machine of a <see cref="ModelShape"/> with one <see cref="BenchProcessActor"/> per process,
/// on the deterministic scheduler (random strategy) or the threaded one. Each phase tells every process
/// what to do and returns when all have done it: <see cref="Map"/> (untimed setup), then
/// <see cref="Touch"/> (faults) and <see cref="Loop"/> (TLB hits or page walks) as often as wanted.
/// </summary>
public sealed class ModelWorkload : IDisposable
{
    /// <summary>Deliveries (and recorded choices) one deterministic workload may make.</summary>
    public const long StepsMax = 32_000_000;

    /// <summary>Longest a threaded phase may take before it is reported as hung.</summary>
    public static readonly TimeSpan PhaseTimeMax = TimeSpan.FromMinutes(5);

    private readonly ActorSystem _system;
    private readonly IActorRef[] _processes;

    private ModelWorkload(ActorSystem system, ModelShape shape)
    {
        _system = system;
        Shape = shape;
        Machine = Machine.Boot(system, shape.ToMachineConfig());
        _processes = new IActorRef[shape.Processes];
        for (int i = 0; i < shape.Processes; i++)
        {
            int pid = Machine.CreateProcess($"bench{i}");
            IActorRef cpu = Machine.Cpus[i % shape.Cpus];
            int pages = shape.PagesPerProcess;
            _processes[i] = system.ActorOf(Props.Create(() => new BenchProcessActor(cpu, pid, pages)), $"proc{i}");
        }
    }

    public ModelShape Shape { get; }

    public Machine Machine { get; }

    public bool IsDeterministic => _system.IsDeterministic;

    /// <summary>Deliveries made so far.</summary>
    public long Steps => _system.Steps;

    /// <summary>The trace hash so far (deterministic only).</summary>
    public ulong TraceHashValue => _system.TraceHashValue;

    public static ModelWorkload CreateDeterministic(ModelShape shape, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(shape);
        shape.Validate();
        var limits = new RuntimeLimits { StepsMax = StepsMax, ChoicesMax = StepsMax };
        return new ModelWorkload(ActorSystem.CreateDeterministic("model", new RandomStrategy(seed), limits), shape);
    }

    public static ModelWorkload CreateThreaded(ModelShape shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        shape.Validate();
        return new ModelWorkload(ActorSystem.CreateThreaded("model"), shape);
    }

    /// <summary>Every process maps its pages (nothing is touched yet).</summary>
    public void Map() => RunPhase(MapPhase.Instance, "map");

    /// <summary>Every process stores once to each of its pages: one fault per page. Returns the accesses made.</summary>
    public long Touch() => RunPhase(TouchPhase.Instance, "touch");

    /// <summary>Every process loads from its first <paramref name="pages"/> pages <paramref name="passes"/> times. Returns the accesses made.</summary>
    public long Loop(int pages, int passes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pages);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(passes);
        return RunPhase(new LoopPhase(pages, passes), "loop");
    }

    public void Dispose() => _system.Dispose();

    private long RunPhase(object phase, string name)
    {
        var replies = new Task<long>[_processes.Length];
        for (int i = 0; i < _processes.Length; i++)
        {
            replies[i] = _system.Ask<long>(_processes[i], phase);
        }

        if (_system.IsDeterministic)
        {
            RunOutcome outcome = _system.Run();
            if (replies.Any(r => !r.IsCompleted))
            {
                throw new InvalidOperationException($"model benchmark ({Shape}): phase {name} stopped with {outcome} before every process finished: {_system.Violation?.Message}");
            }
        }
        else if (!Task.WaitAll(replies, PhaseTimeMax))
        {
            throw new TimeoutException($"model benchmark ({Shape}): phase {name} did not finish within {PhaseTimeMax}");
        }

        if (_system.Violation is { } violation)
        {
            throw new InvalidOperationException($"model benchmark ({Shape}): phase {name} failed: {violation.Message}");
        }

        long accesses = 0;
        foreach (Task<long> reply in replies)
        {
            accesses += reply.Result;
        }

        return accesses;
    }
}
