using System.Globalization;
using ShadowPt.Kernel;
using ShadowPt.Runtime.Actors;
using ShadowPt.Runtime.Async;

namespace ShadowPt.Criu;

/// <summary>
/// The checkpointer's side of a dump, used from an actor's async handler: it runs as its own process
/// (<paramref name="criuPid"/>) on <paramref name="cpu"/> and makes system calls there. A dump collects
/// and clears atomically, then reads the contents of the pages it must write: all of them without a
/// parent, only the soft-dirty ones with one (the others are "in parent").
/// </summary>
public sealed class CriuSession(IActorContext context, IActorRef cpu, int criuPid, int targetPid)
{
    /// <summary>Most ticks a freeze may take before the checkpointer gives up.</summary>
    public const int FreezeTicksMax = 1000;

    public int TargetPid => targetPid;

    /// <summary>
    /// A dump named <paramref name="name"/> with parent <paramref name="parent"/> (null: full). A pre-dump
    /// (not <paramref name="final"/>) clears soft-dirty for the next one; a final dump expects the task frozen
    /// and takes a snapshot of its memory. Null when the target is gone.
    /// </summary>
    public async ActorTask<(CheckpointImage Image, MemorySnapshot? Snapshot)?> Dump(string name, string? parent, bool final)
    {
        var collectedBuffer = new UserBuffer<Collected>();
        await Call(new CriuCollectCall(targetPid, Clear: !final, Snapshot: final, collectedBuffer));
        if (collectedBuffer.Value is not Collected collected)
        {
            return null;
        }

        List<CollectedPage> wanted = collected.Pages.Where(p => parent is null || p.SoftDirty).ToList();
        var contentsBuffer = new UserBuffer<byte[]?[]>();
        await Call(new CriuReadPagesCall(targetPid, wanted.Select(p => p.Address).ToArray(), contentsBuffer));
        byte[]?[] read = contentsBuffer.Value ?? new byte[]?[wanted.Count];
        var contentByAddress = new Dictionary<ulong, byte[]>();
        for (int i = 0; i < wanted.Count; i++)
        {
            if (read[i] is byte[] c)
            {
                contentByAddress.Add(wanted[i].Address, c);
            }
        }

        var pages = new List<ImagePage>();
        var contents = new List<byte[]>();
        foreach (CollectedPage page in collected.Pages)
        {
            if (contentByAddress.TryGetValue(page.Address, out byte[]? c))
            {
                pages.Add(new ImagePage(page.Address, false));
                contents.Add(c);
            }
            else if (parent is not null && !page.SoftDirty)
            {
                pages.Add(new ImagePage(page.Address, true));
            }

            // else: the page went away between the collection and the read (unmapped): not in the image.
        }

        var image = new CheckpointImage(name, parent, targetPid, "target", final, collected.Vmas, pages, contents);
        return (image, collected.Snapshot);
    }

    /// <summary>
    /// A post-copy dump (<c>criu dump --lazy-pages</c>): the frozen task's layout and a snapshot, no page
    /// contents; the pages present or swapped are returned as the lazy ones, to be read one by one when the
    /// destination asks. Null when the target is gone.
    /// </summary>
    public async ActorTask<(CheckpointImage Image, MemorySnapshot? Snapshot, IReadOnlyList<ulong> Lazy)?> DumpLayout(string name)
    {
        var collectedBuffer = new UserBuffer<Collected>();
        await Call(new CriuCollectCall(targetPid, Clear: false, Snapshot: true, collectedBuffer));
        if (collectedBuffer.Value is not Collected collected)
        {
            return null;
        }

        var image = new CheckpointImage(name, null, targetPid, "target", true, collected.Vmas, [], []);
        return (image, collected.Snapshot, collected.Pages.Select(p => p.Address).ToList());
    }

    /// <summary>Reads one page of the (frozen) target: process_vm_readv, as criu's page server does for a lazy-pages request; null when it is gone.</summary>
    public async ActorTask<byte[]?> ReadPage(ulong address)
    {
        var buffer = new UserBuffer<byte[]?[]>();
        await Call(new CriuReadPagesCall(targetPid, [address], buffer));
        return buffer.Value is { Length: 1 } read ? read[0] : null;
    }

    /// <summary>The number of soft-dirty pages now, without clearing (pagemap only).</summary>
    public async ActorTask<int> CountDirty()
    {
        var buffer = new UserBuffer<Collected>();
        await Call(new CriuCollectCall(targetPid, Clear: false, Snapshot: false, buffer));
        return buffer.Value?.Pages.Count(p => p.SoftDirty) ?? 0;
    }

    /// <summary>Freezes the target, polling the freezer once a tick as CRIU polls the cgroup freezer; false when it is gone or never froze.</summary>
    public async ActorTask<bool> Freeze()
    {
        for (int tick = 0; tick < FreezeTicksMax; tick++)
        {
            long state = (await Call(new FreezeCall(targetPid))).Ret;
            if (state != 0)
            {
                return state == 1;
            }

            await context.Delay(1);
        }

        return false;
    }

    /// <summary>Image names: 1, 2, ...</summary>
    public static string ImageName(int index) => index.ToString(CultureInfo.InvariantCulture);

    private AskAwaitable<UserResult> Call(Syscall call) => context.Ask<UserResult>(cpu, new UserRequest(criuPid, new SyscallOp(call)));
}
