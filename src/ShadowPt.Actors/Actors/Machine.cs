using ShadowPt.Kernel;
using ShadowPt.Runtime;
using ShadowPt.Runtime.Actors;

namespace ShadowPt.Actors;

/// <summary>
/// A booted simulated machine inside an actor system: the memory-subsystem actor and one actor per
/// CPU. Processes are created with <see cref="CreateProcess"/> before the run starts (later ones come
/// from fork). <see cref="State"/> may be read directly only while the system is not running.
/// </summary>
public sealed class Machine
{
    private Machine(ActorSystem system, KernelState state, IActorRef memory, IReadOnlyList<IActorRef> cpus, KernelEvents events)
    {
        Events = events;
        System = system;
        State = state;
        Memory = memory;
        Cpus = cpus;
    }

    public ActorSystem System { get; }

    /// <summary>The kernel event stream; attach checkers before the run.</summary>
    public KernelEvents Events { get; }

    /// <summary>The kernel state; read it only at quiescent points (or through a memory operation).</summary>
    public KernelState State { get; }

    /// <summary>The memory-subsystem actor.</summary>
    public IActorRef Memory { get; }

    /// <summary>The CPU actors, indexed by CPU id.</summary>
    public IReadOnlyList<IActorRef> Cpus { get; }

    public MachineConfig Config => State.Config;

    /// <summary>What user-space write trackers recorded (user memory, outside the kernel model; Kernel/WriteTracking).</summary>
    public Kernel.WriteTracking.UserPageLog UserLogs { get; } = new();

    /// <summary>
    /// Boots a machine. <paramref name="namePrefix"/> goes before its actors' names (<c>mm</c>, <c>cpuN</c>), so
    /// that two machines can share one actor system (live migration: <c>dst-mm</c>, <c>dst-cpu0</c>).
    /// </summary>
    public static Machine Boot(ActorSystem system, MachineConfig config, KernelHooks? hooks = null, string namePrefix = "")
    {
        ArgumentNullException.ThrowIfNull(namePrefix);
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(config);
        var state = new KernelState(config);
        var events = new KernelEvents(serialized: !system.IsDeterministic);
        state.Events = events;
        IActorRef memory = system.ActorOf(Props.Create(() => new MemoryActor(state)), namePrefix + "mm");
        var cpus = new IActorRef[config.Cpus];
        for (int i = 0; i < config.Cpus; i++)
        {
            var id = new CpuId(i);
            cpus[i] = system.ActorOf(Props.Create(() => new CpuActor(id, config, memory, cpus, hooks ?? KernelHooks.None, events)), $"{namePrefix}cpu{i}");
        }

        return new Machine(system, state, memory, cpus, events);
    }

    /// <summary>
    /// A new process as execve leaves it: an mm with a stack VMA and a heap base, nothing mapped.
    /// Returns its pid. Only while the system is not running.
    /// </summary>
    public int CreateProcess(string comm, bool superuser = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(comm);
        MmStruct mm = State.MmAlloc("machine: exec " + comm) ?? throw new InvalidOperationException("out of memory creating a process");
        Mmap.SetupArgPages(mm);
        mm.SetBrkBase(new VirtAddr(0x555555559000));
        TaskStruct task = State.NewTask(comm, 0, superuser);
        task.Mm = mm;
        return task.Pid;
    }

}
