using ShadowPt.Runtime.Async;

namespace ShadowPt.Kernel;

/// <summary>
/// copy_from_user / copy_to_user of aligned 8-byte words through the current task's page table,
/// faulting pages in as a user access would; a bad address is -EFAULT, never a signal.
/// </summary>
/// <remarks>arch/x86/lib/usercopy and the exception-table fixup: the kernel's own access faults like a user one.</remarks>
public static class Uaccess
{
    /// <summary>Most words one copy may move.</summary>
    public const int WordsMax = 1 << 16;

    /// <summary>copy_from_user of <paramref name="count"/> words at <paramref name="address"/>; null for -EFAULT.</summary>
    public static async ActorTask<ulong[]?> CopyFromUser(KernelContext k, VirtAddr address, int count)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, WordsMax);
        var words = new ulong[count];
        for (int i = 0; i < count; i++)
        {
            (AccessOutcome outcome, ulong word) = await UserAccess.ExecuteWord(k, address + (ulong)(i * 8), false, 0);
            if (outcome.Segv || outcome.Oom)
            {
                return null;
            }

            words[i] = word;
        }

        return words;
    }

    /// <summary>copy_to_user of <paramref name="words"/> at <paramref name="address"/>; false for -EFAULT.</summary>
    public static async ActorTask<bool> CopyToUser(KernelContext k, VirtAddr address, IReadOnlyList<ulong> words)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(words.Count, WordsMax);
        for (int i = 0; i < words.Count; i++)
        {
            (AccessOutcome outcome, _) = await UserAccess.ExecuteWord(k, address + (ulong)(i * 8), true, words[i]);
            if (outcome.Segv || outcome.Oom)
            {
                return false;
            }
        }

        return true;
    }
}
