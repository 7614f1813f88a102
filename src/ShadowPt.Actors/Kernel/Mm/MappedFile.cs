namespace ShadowPt.Kernel;

/// <summary>
/// The file behind a file-backed VMA (<c>vma-&gt;vm_file</c>): its identity as /proc/PID/maps shows it
/// and how it was opened. Page contents live in the page cache of the actor layer, not here.
/// </summary>
/// <param name="Ino">Inode number.</param>
/// <param name="DevMajor">Major number of the device holding the file system.</param>
/// <param name="DevMinor">Minor number of that device.</param>
/// <param name="Path">Path as printed in maps.</param>
/// <param name="SizePages">File size in pages (an access beyond it raises SIGBUS).</param>
/// <param name="Writable">Opened for writing (FMODE_WRITE); needed for a writable MAP_SHARED mapping.</param>
/// <param name="IsShmem">A shmem object; shared anonymous mappings are shmem files named <c>/dev/zero (deleted)</c>.</param>
public sealed record MappedFile(ulong Ino, uint DevMajor, uint DevMinor, string Path, long SizePages, bool Writable, bool IsShmem = false)
{
    /// <summary>Pages a shared anonymous mapping may span (its shmem object is sized to the mapping).</summary>
    public const long ShmemSizePagesMax = 1L << 36;

    /// <summary>
    /// The shmem file shmem_zero_setup gives a MAP_SHARED|MAP_ANONYMOUS mapping: device 00:01,
    /// path <c>/dev/zero (deleted)</c>, a fresh inode per mapping supplied by the caller.
    /// </summary>
    public static MappedFile DevZeroShmem(ulong ino) => new(ino, 0, 1, "/dev/zero (deleted)", ShmemSizePagesMax, Writable: true, IsShmem: true);
}
