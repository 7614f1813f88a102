namespace ShadowPt.Kernel;

/// <summary>
/// Error numbers as the system calls return them (negated by the caller, as in the kernel's
/// <c>return -ENOMEM</c>). <see cref="None"/> is success.
/// </summary>
/// <remarks>Values from include/uapi/asm-generic/errno-base.h and errno.h.</remarks>
public enum Errno
{
    None = 0,
    EPERM = 1,
    ENOENT = 2,
    ESRCH = 3,
    EINTR = 4,
    EBADF = 9,
    EAGAIN = 11,
    ENOMEM = 12,
    EACCES = 13,
    EFAULT = 14,
    EBUSY = 16,
    EEXIST = 17,
    EINVAL = 22,
    EMFILE = 24,
    EOVERFLOW = 75,
}
