namespace ShadowPt.Kernel;

/// <summary>userfaultfd(flags) followed by ioctl(UFFDIO_API) with <see cref="Features"/>: returns the descriptor.</summary>
public sealed record UserfaultfdCall(UffdFeatures Features) : Syscall
{
    public override string Name => "userfaultfd";
}

/// <summary>ioctl(fd, UFFDIO_API, {UFFD_API, features}) on an existing descriptor.</summary>
public sealed record UffdioApiCall(int Fd, ulong Api, UffdFeatures Features) : Syscall
{
    public override string Name => "ioctl(UFFDIO_API)";
}

/// <summary>ioctl(fd, UFFDIO_REGISTER, {range, mode}).</summary>
public sealed record UffdioRegisterCall(int Fd, VirtAddr Start, ulong Length, UffdRegisterMode Mode) : Syscall
{
    public override string Name => "ioctl(UFFDIO_REGISTER)";
}

/// <summary>ioctl(fd, UFFDIO_UNREGISTER, range): also wakes the faults waiting in it.</summary>
public sealed record UffdioUnregisterCall(int Fd, VirtAddr Start, ulong Length) : Syscall
{
    public override string Name => "ioctl(UFFDIO_UNREGISTER)";
}

/// <summary>read(fd, &amp;msg, sizeof msg): blocks until a message is queued; returns it encoded (<see cref="UffdMsg.Encode"/>).</summary>
public sealed record UffdReadCall(int Fd) : Syscall
{
    public override string Name => "read(uffd)";
}

/// <summary>
/// ioctl(fd, UFFDIO_COPY, {dst, src, len, mode}). The source buffer is given by value: either
/// <see cref="Contents"/>, the <see cref="Length"/> bytes the monitor read into its buffer (post-copy
/// migration copies the page it fetched), or, when that is null, a pattern: byte i of each page is
/// <c>Fill + i</c> (mod 256), as the monitor prepared it (docs/fidelity.md). A contents buffer whose
/// length is not <see cref="Length"/> is -EFAULT (copy_from_user ran off the buffer).
/// </summary>
public sealed record UffdioCopyCall(int Fd, VirtAddr Dst, ulong Length, byte Fill, int Mode, byte[]? Contents = null) : Syscall
{
    public override string Name => "ioctl(UFFDIO_COPY)";

    /// <summary>
    /// The record's text without the buffer: with no <see cref="Contents"/> exactly the text the record had
    /// before it could carry one (trace hashes hash it), with contents a short fingerprint of them.
    /// </summary>
    public override string ToString()
    {
        string text = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"UffdioCopyCall {{ Fd = {Fd}, Dst = {Dst}, Length = {Length}, Fill = {Fill}, Mode = {Mode}");
        return Contents is null ? text + " }" : text + string.Create(System.Globalization.CultureInfo.InvariantCulture, $", Contents = {ContentsFingerprint(Contents):x16} }}");
    }

    /// <summary>FNV-1a of a contents buffer, for the record's text.</summary>
    private static ulong ContentsFingerprint(byte[] contents)
    {
        ulong hash = 14695981039346656037UL;
        foreach (byte b in contents)
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        return hash;
    }

    /// <summary>The byte at <paramref name="offset"/> of every page the copy writes.</summary>
    public static byte SourceByte(byte fill, int offset) => unchecked((byte)(fill + offset));
}

/// <summary>ioctl(fd, UFFDIO_ZEROPAGE, {range, mode}).</summary>
public sealed record UffdioZeropageCall(int Fd, VirtAddr Start, ulong Length, int Mode) : Syscall
{
    public override string Name => "ioctl(UFFDIO_ZEROPAGE)";
}

/// <summary>ioctl(fd, UFFDIO_CONTINUE, {range, mode}): map the page-cache pages of a MINOR range.</summary>
public sealed record UffdioContinueCall(int Fd, VirtAddr Start, ulong Length, int Mode) : Syscall
{
    public override string Name => "ioctl(UFFDIO_CONTINUE)";
}

/// <summary>ioctl(fd, UFFDIO_WAKE, range).</summary>
public sealed record UffdioWakeCall(int Fd, VirtAddr Start, ulong Length) : Syscall
{
    public override string Name => "ioctl(UFFDIO_WAKE)";
}

/// <summary>ioctl(fd, UFFDIO_WRITEPROTECT, {range, mode}): set (MODE_WP) or clear write protection.</summary>
public sealed record UffdioWriteprotectCall(int Fd, VirtAddr Start, ulong Length, int Mode) : Syscall
{
    public override string Name => "ioctl(UFFDIO_WRITEPROTECT)";
}

/// <summary>sendmsg(sock, SCM_RIGHTS fd) to task <see cref="ToPid"/>: the descriptor travels as CRIU hands it to its monitor.</summary>
public sealed record UffdSendFdCall(int Fd, int ToPid) : Syscall
{
    public override string Name => "sendmsg(SCM_RIGHTS)";
}

/// <summary>recvmsg(sock, SCM_RIGHTS): blocks until a descriptor arrives; returns the new descriptor.</summary>
public sealed record UffdRecvFdCall : Syscall
{
    public override string Name => "recvmsg(SCM_RIGHTS)";
}
