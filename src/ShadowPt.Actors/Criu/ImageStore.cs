namespace ShadowPt.Criu;

/// <summary>
/// Where checkpoint images live: a directory on disk (<see cref="DirectoryImageStore"/>, one
/// sub-directory per image as <c>criu dump -D DIR/N --prev-images-dir ../N-1</c> leaves them) or
/// memory (<see cref="MemoryImageStore"/>, for runs that should leave nothing behind). Both hold the
/// same bytes and go through the same validating reader.
/// </summary>
public abstract class ImageStore
{
    /// <summary>Writes one file of image <paramref name="image"/>.</summary>
    public abstract void Write(string image, string file, byte[] bytes);

    /// <summary>Reads one file of image <paramref name="image"/>, refusing files over <paramref name="bytesMax"/>; null when missing.</summary>
    public abstract byte[]? Read(string image, string file, long bytesMax);

    /// <summary>Where the images are, for messages.</summary>
    public abstract string Describe(string image, string file);
}

/// <summary>Images in memory.</summary>
public sealed class MemoryImageStore : ImageStore
{
    /// <summary>The files, by image and name.</summary>
    private readonly Dictionary<(string Image, string File), byte[]> _files = new();

    public override void Write(string image, string file, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        _files[(image, file)] = bytes;
    }

    public override byte[]? Read(string image, string file, long bytesMax)
    {
        if (!_files.TryGetValue((image, file), out byte[]? bytes))
        {
            return null;
        }

        return bytes.Length > bytesMax
            ? throw new CheckpointImageException($"{Describe(image, file)}: {bytes.Length} bytes, more than the {bytesMax} allowed")
            : bytes;
    }

    public override string Describe(string image, string file) => $"{image}/{file}";

    /// <summary>Total bytes held (all images).</summary>
    public long Bytes => _files.Values.Sum(b => (long)b.Length);
}

/// <summary>Images in a directory on disk: <c>ROOT/IMAGE/FILE</c>. Files are written through a temporary name and a rename.</summary>
public sealed class DirectoryImageStore : ImageStore
{
    /// <summary>Creates a store rooted at <paramref name="root"/> (created on first write).</summary>
    public DirectoryImageStore(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        Root = Path.GetFullPath(root);
    }

    /// <summary>The image directory.</summary>
    public string Root { get; }

    public override void Write(string image, string file, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        string dir = Path.Combine(Root, ImageCodec.CheckName(image));
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, file);
        string temp = path + ".tmp";
        File.WriteAllBytes(temp, bytes);
        File.Move(temp, path, overwrite: true);
    }

    public override byte[]? Read(string image, string file, long bytesMax)
    {
        string path = Path.Combine(Root, ImageCodec.CheckName(image), file);
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            return null;
        }

        if (info.Length > bytesMax)
        {
            throw new CheckpointImageException($"{path}: {info.Length} bytes, more than the {bytesMax} allowed");
        }

        try
        {
            byte[] bytes = File.ReadAllBytes(path);
            return bytes.Length > bytesMax
                ? throw new CheckpointImageException($"{path}: grew past {bytesMax} bytes while being read")
                : bytes;
        }
        catch (IOException e)
        {
            throw new CheckpointImageException($"{path}: {e.Message}");
        }
        catch (UnauthorizedAccessException e)
        {
            throw new CheckpointImageException($"{path}: {e.Message}");
        }
    }

    public override string Describe(string image, string file) => Path.Combine(Root, image, file);
}

/// <summary>A checkpoint image that cannot be used: the message is one line naming the file and what is wrong.</summary>
public sealed class CheckpointImageException : Exception
{
    public CheckpointImageException()
    {
    }

    public CheckpointImageException(string message)
        : base(message)
    {
    }

    public CheckpointImageException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
