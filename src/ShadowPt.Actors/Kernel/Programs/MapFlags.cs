namespace ShadowPt.Kernel.Programs;

/// <summary>The <c>flags</c> argument of mmap, reduced to what conformance programs use.</summary>
[Flags]
public enum MapFlags
{
    /// <summary>No flag; not a valid mapping on its own.</summary>
    None = 0,

    /// <summary>MAP_PRIVATE: copy-on-write after fork.</summary>
    Private = 1,

    /// <summary>MAP_SHARED: every process that inherits the mapping sees the same pages.</summary>
    Shared = 2,

    /// <summary>MAP_ANONYMOUS: zero-filled memory backed by no file.</summary>
    Anonymous = 4,

    /// <summary>MAP_GROWSDOWN: a stack-like VMA that grows when an access lands just below it.</summary>
    GrowsDown = 8,

    /// <summary>MAP_PRIVATE | MAP_ANONYMOUS, the usual heap-like mapping.</summary>
    PrivateAnonymous = Private | Anonymous,

    /// <summary>MAP_SHARED | MAP_ANONYMOUS, shared with children after fork.</summary>
    SharedAnonymous = Shared | Anonymous,
}
