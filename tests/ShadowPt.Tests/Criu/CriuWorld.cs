using ShadowPt.Criu;
using ShadowPt.Kernel;
using ShadowPt.Runtime.Actors;
using ShadowPt.Runtime.Async;
using ShadowPt.Tests.TestKit;

namespace ShadowPt.Tests.Criu;

/// <summary>A machine with soft-dirty and swap on, a target, the checkpointer and a process to restore into, driven one operation at a time.</summary>
internal sealed class CriuWorld : IDisposable
{
    public static readonly VirtAddr Data = new(0x20000000);

    public CriuWorld(ulong seed = 1)
    {
        CriuSyscalls.Register();
        Sim = new SimMachine(2, seed, frames: 512, configure: c => c with { MemSoftDirty = true, SwapSlots = 8 });
        Target = Sim.Spawn("target");
        Criu = Sim.Spawn("criu");
        Restored = Sim.Spawn("restored");
    }

    public SimMachine Sim { get; }

    public int Target { get; }

    public int Criu { get; }

    public int Restored { get; }

    public MemoryImageStore Store { get; } = new();

    public VirtAddr Page(int index) => Data + ((ulong)index * PageGeometry.PageSize);

    /// <summary>Dumps the target as image <paramref name="name"/> (CriuSession.Dump, run by an actor on CPU 1) and writes it to the store.</summary>
    public CheckpointImage Dump(string name, string? parent, bool final)
    {
        var box = new Box<(CheckpointImage, MemorySnapshot?)?>();
        IActorRef probe = Sim.System.ActorOf(Props.Create(() => new DumpProbe(Sim.Machine.Cpus[1], Criu, Target, name, parent, final, box)), "dump" + name);
        probe.Tell(ShadowPt.Actors.ProcessActor.Start.Instance, null);
        Sim.RunQuiescent();
        Assert.NotNull(box.Value);
        CheckpointImage image = box.Value.Value.Item1;
        ImageCodec.Write(Store, image);
        return image;
    }

    /// <summary>Freezes the target: asked by the checkpointer, entered by the target on its way back to user mode.</summary>
    public void Freeze()
    {
        Assert.Equal(0, Sim.Sys(Criu, 1, new FreezeCall(Target)));
        Assert.Equal(1, Sim.Sys(Target, 0, new TryToFreezeCall()));
        Assert.Equal(1, Sim.Sys(Criu, 1, new FreezeCall(Target)));
    }

    /// <summary>Restores image <paramref name="name"/> from the store into <see cref="Restored"/>; returns what the restorer reported.</summary>
    public RestoreDone Restore(string name)
    {
        RestorePlan plan = RestorePlan.Load(Store, name);
        var box = new Box<RestoreDone>();
        IActorRef probe = Sim.System.ActorOf(Props.Create(() => new RestoreProbe(Sim.Machine.Cpus[1], Restored, plan, box)), "restore" + name);
        probe.Tell(ShadowPt.Actors.ProcessActor.Start.Instance, null);
        Sim.RunQuiescent();
        return box.Value ?? throw new InvalidOperationException("restore did not finish");
    }

    public MemorySnapshot Snapshot(int pid) => MemorySnapshot.Of(Sim.State, pid)!;

    public void Dispose() => Sim.Dispose();

    internal sealed class Box<T>
    {
        public T? Value { get; set; }
    }

    private sealed class DumpProbe : ReceiveActor
    {
        public DumpProbe(IActorRef cpu, int criu, int target, string name, string? parent, bool final, Box<(CheckpointImage, MemorySnapshot?)?> box)
        {
            var session = new CriuSession(Context, cpu, criu, target);
            ReceiveAsync<ShadowPt.Actors.ProcessActor.Start>(async _ => box.Value = await session.Dump(name, parent, final));
        }
    }

    private sealed class RestoreProbe : ReceiveActor
    {
        public RestoreProbe(IActorRef cpu, int pid, RestorePlan plan, Box<RestoreDone> box)
        {
            Receive<ShadowPt.Actors.ProcessActor.Start>(_ =>
            {
                IActorRef restorer = Context.ActorOf(Props.Create(() => new RestorerActor(cpu, pid, plan)), "restorer");
                restorer.Tell(ShadowPt.Actors.ProcessActor.Start.Instance, Self);
            });
            Receive<RestoreDone>(done => box.Value = done);
        }
    }
}
