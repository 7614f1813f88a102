using System.Globalization;
using ShadowPt.Kernel;

namespace ShadowPt.Criu;

/// <summary>
/// What a restore maps and writes: the newest image's VMAs and, for each of its pages, the contents
/// found by following in-parent pages down the chain of parents (as CRIU's page-read does with
/// <c>--prev-images-dir</c>). Built from untrusted files: the chain is bounded, acyclic and complete.
/// </summary>
public sealed class RestorePlan
{
    private RestorePlan(CheckpointImage top, IReadOnlyList<CheckpointImage> chain, IReadOnlyList<(ulong Address, byte[] Contents)> pages)
    {
        Top = top;
        Chain = chain;
        Pages = pages;
    }

    /// <summary>The image restored (the newest).</summary>
    public CheckpointImage Top { get; }

    /// <summary>The images read, newest first.</summary>
    public IReadOnlyList<CheckpointImage> Chain { get; }

    public IReadOnlyList<ImageVma> Vmas => Top.Vmas;

    /// <summary>Every page to write, in address order, with its contents.</summary>
    public IReadOnlyList<(ulong Address, byte[] Contents)> Pages { get; }

    /// <summary>Reads image <paramref name="name"/> and its parents from <paramref name="store"/> and resolves every page.</summary>
    public static RestorePlan Load(ImageStore store, string name)
    {
        ArgumentNullException.ThrowIfNull(store);
        var chain = new List<CheckpointImage>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        string? next = name;
        while (next is not null)
        {
            if (!seen.Add(next))
            {
                throw new CheckpointImageException($"image {ImageCodec.Escape(next)}: the parent chain loops back to it");
            }

            if (chain.Count >= ImageCodec.ChainMax)
            {
                throw new CheckpointImageException($"image {ImageCodec.Escape(name)}: more than {ImageCodec.ChainMax} images in the parent chain");
            }

            CheckpointImage image = ImageCodec.Read(store, next);
            if (chain.Count > 0 && image.Pid != chain[0].Pid)
            {
                throw new CheckpointImageException($"image {next}: pid {image.Pid}, but its child image {chain[^1].Name} is of pid {chain[0].Pid}");
            }

            chain.Add(image);
            next = image.Parent;
        }

        return new RestorePlan(chain[0], chain, Resolve(chain));
    }

    private static (ulong, byte[])[] Resolve(List<CheckpointImage> chain)
    {
        // Index each image's own contents by address, then look each page of the top up the chain.
        var own = new List<Dictionary<ulong, byte[]>>(chain.Count);
        var listed = new List<HashSet<ulong>>(chain.Count);
        foreach (CheckpointImage image in chain)
        {
            var contents = new Dictionary<ulong, byte[]>();
            int c = 0;
            foreach (ImagePage page in image.Pages)
            {
                if (!page.InParent)
                {
                    contents.Add(page.Address, image.Contents[c++]);
                }
            }

            own.Add(contents);
            listed.Add(image.Pages.Select(p => p.Address).ToHashSet());
        }

        var result = new List<(ulong, byte[])>(chain[0].Pages.Count);
        foreach (ImagePage page in chain[0].Pages)
        {
            int level = 0;
            byte[]? found = null;
            while (level < chain.Count)
            {
                if (!listed[level].Contains(page.Address))
                {
                    throw new CheckpointImageException(string.Create(
                        CultureInfo.InvariantCulture,
                        $"image {chain[level].Name}: page 0x{page.Address:x} is in-parent in image {chain[level - 1].Name}, but this parent does not list it"));
                }

                if (own[level].TryGetValue(page.Address, out found))
                {
                    break;
                }

                level++;
                if (level == chain.Count)
                {
                    throw new CheckpointImageException(string.Create(
                        CultureInfo.InvariantCulture,
                        $"image {chain[level - 1].Name}: page 0x{page.Address:x} is in-parent, but the image has no parent"));
                }
            }

            Bug.On(found is null, "restore plan: page without contents");
            result.Add((page.Address, found!));
        }

        return result.ToArray();
    }
}
