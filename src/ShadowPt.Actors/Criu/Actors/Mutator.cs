using ShadowPt.Kernel;
using ShadowPt.Runtime.Actors;
using ShadowPt.Runtime.Async;

namespace ShadowPt.Criu;

/// <summary>What a <see cref="Mutator"/> does: where its data is, how many pages, the hot set it keeps writing, how many writes.</summary>
/// <param name="At">Where the data mapping is (mapped there with MAP_FIXED_NOREPLACE when <paramref name="MapFirst"/>).</param>
/// <param name="Pages">Pages of the mapping; the first <paramref name="Pages"/> writes touch each once.</param>
/// <param name="HotPages">After the first pass, writes cycle over the first <paramref name="HotPages"/> pages.</param>
/// <param name="Writes">Most writes, one per tick.</param>
/// <param name="FirstWrite">Index of the first write (a resumed workload goes on where it stopped).</param>
/// <param name="MapFirst">Whether to mmap the data first (false for a restored process).</param>
public sealed record MutatorSpec(VirtAddr At, int Pages, int HotPages, int Writes, int FirstWrite = 0, bool MapFirst = true)
{
    /// <summary>Most writes a spec may ask for.</summary>
    public const int WritesMax = 1 << 16;

    /// <summary>The page and byte offset write <paramref name="index"/> stores to.</summary>
    public VirtAddr Target(int index)
    {
        int page = index < Pages ? index : (index - Pages) % HotPages;
        int offset = (index * 8) % PageGeometry.PageSizeBytes;
        return At + (((ulong)page << PageGeometry.PageShift) + (ulong)offset);
    }

    /// <summary>The byte write <paramref name="index"/> stores.</summary>
    public static byte Value(int index) => (byte)((index % 251) + 1);
}

/// <summary>
/// The workload being checkpointed or migrated: a process that writes one byte per tick over its pages,
/// then over a hot set. On the way back to user mode before each write it calls try_to_freeze; once the
/// checkpointer froze it, it runs no more user code (the refrigerator: its actor goes idle).
/// </summary>
public sealed class Mutator : ReceiveActor
{
    private readonly IActorRef _cpu;
    private readonly int _pid;
    private readonly MutatorSpec _spec;

    public Mutator(IActorRef cpu, int pid, MutatorSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(spec.Writes, MutatorSpec.WritesMax);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(spec.HotPages);
        _cpu = cpu;
        _pid = pid;
        _spec = spec;
        ReceiveAsync<Actors.ProcessActor.Start>(_ => Run());
    }

    /// <summary>Writes done so far (read at quiescent points).</summary>
    public int WritesDone { get; private set; }

    /// <summary>Whether the task is in the refrigerator.</summary>
    public bool Frozen { get; private set; }

    private async ActorTask Run()
    {
        if (_spec.MapFirst)
        {
            UserResult mapped = await Request(new SyscallOp(new MmapCall(
                _spec.At, (ulong)_spec.Pages << PageGeometry.PageShift, Prot.Read | Prot.Write, MapFlags.Private | MapFlags.Anonymous | MapFlags.FixedNoReplace)));
            Bug.On(mapped.Ret != (long)_spec.At.Value, $"mutator: mmap at {_spec.At} returned {mapped.Ret}");
        }

        for (int i = _spec.FirstWrite; i < _spec.FirstWrite + _spec.Writes; i++)
        {
            if ((await Request(new SyscallOp(new TryToFreezeCall()))).Ret == 1)
            {
                Frozen = true;
                return;
            }

            UserResult result = await Request(new AccessOp(_spec.Target(i), true, MutatorSpec.Value(i)));
            if (result.Killed || result.Segv)
            {
                return;
            }

            WritesDone++;
            await Context.Delay(1);
        }
    }

    private AskAwaitable<UserResult> Request(UserOp op) => Context.Ask<UserResult>(_cpu, new UserRequest(_pid, op));
}
