using System.Numerics;
using ShadowPt.Runtime;
using ShadowPt.Runtime.Recording;

namespace ShadowPt.Kernel;

/// <summary>What a process asks of the CPU it runs on.</summary>
public abstract record UserOp
{
    /// <summary>
    /// <c>TraceHash.OfString(ToString())</c>, the op's part of the trace. Ops sent on every access
    /// compute it without building the string.
    /// </summary>
    internal virtual ulong ToStringHash() => TraceHash.OfString(ToString());
}

/// <summary>Enter the kernel with a system call.</summary>
public sealed record SyscallOp(Syscall Call) : UserOp
{
    /// <summary>The hash state after <c>SyscallOp { Call = </c>, what every syscall op's text starts with.</summary>
    private static readonly ulong PrefixHash = TraceHash.OfChars("SyscallOp { Call = ");

    /// <summary>
    /// The hash of the record's text, <c>SyscallOp { Call = MunmapCall { … } }</c>, from the call's own text
    /// without building the op's (a test holds the two equal): one string per system call instead of two.
    /// </summary>
    internal override ulong ToStringHash() => TraceHash.OfChars(" }", TraceHash.OfChars(Call?.ToString(), PrefixHash));
}

/// <summary>A one-byte user load or store.</summary>
public sealed record AccessOp(VirtAddr Address, bool Write, byte Value) : UserOp
{
    /// <summary>What every access op's text starts with, up to the address's hex digits.</summary>
    private const string TextPrefix = "AccessOp { Address = 0x";

    /// <summary>The hash state after <see cref="TextPrefix"/>: hashing goes on from there.</summary>
    private static readonly ulong PrefixHash = TraceHash.OfChars(TextPrefix);

    /// <summary>
    /// The hash of the record's own <see cref="ToString"/> text, <c>AccessOp { Address = 0x7f0000001000, Write = True, Value = 42 }</c>,
    /// fed to the hash piece by piece without formatting a string (a test holds the two equal).
    /// </summary>
    internal override ulong ToStringHash()
    {
        Span<char> digits = stackalloc char[16];
        ulong hash = TraceHash.OfChars(HexDigits(Address.Value, digits), PrefixHash);
        hash = TraceHash.OfChars(Write ? ", Write = True, Value = " : ", Write = False, Value = ", hash);
        hash = TraceHash.OfChars(DecimalDigits(Value, digits), hash);
        return TraceHash.OfChars(" }", hash);
    }

    /// <summary><paramref name="value"/> in lower-case hex without leading zeros, as <c>ToString("x")</c> writes it.</summary>
    internal static ReadOnlySpan<char> HexDigits(ulong value, Span<char> buffer)
    {
        int count = Math.Max(1, (64 - BitOperations.LeadingZeroCount(value) + 3) / 4);
        for (int i = 0; i < count; i++)
        {
            int nibble = (int)(value >> ((count - 1 - i) * 4)) & 0xF;
            buffer[i] = (char)(nibble < 10 ? '0' + nibble : 'a' + nibble - 10);
        }

        return buffer[..count];
    }

    /// <summary><paramref name="value"/> in decimal, as <c>ToString()</c> writes a byte.</summary>
    private static ReadOnlySpan<char> DecimalDigits(byte value, Span<char> buffer)
    {
        int count = value >= 100 ? 3 : value >= 10 ? 2 : 1;
        int rest = value;
        for (int i = count - 1; i >= 0; i--)
        {
            buffer[i] = (char)('0' + (rest % 10));
            rest /= 10;
        }

        return buffer[..count];
    }
}

/// <summary>An aligned 8-byte user load or store (a single instruction: no tearing).</summary>
public sealed record WordAccessOp(VirtAddr Address, bool Write, ulong Value) : UserOp
{
    /// <summary>What every word access op's text starts with, up to the address's hex digits.</summary>
    private const string TextPrefix = "WordAccessOp { Address = 0x";

    /// <summary>The hash state after <see cref="TextPrefix"/>: hashing goes on from there.</summary>
    private static readonly ulong PrefixHash = TraceHash.OfChars(TextPrefix);

    /// <summary>
    /// The hash of the record's own <see cref="ToString"/> text, <c>WordAccessOp { Address = 0x7f0000001000, Write = True, Value = 42 }</c>,
    /// fed to the hash piece by piece without formatting a string (a test holds the two equal). The
    /// inspector sends one per shadow-table word it reads, so this is on the hot path of every run.
    /// </summary>
    internal override ulong ToStringHash()
    {
        ulong known = _textHash;
        if (known != 0)
        {
            return known;
        }

        _textHash = TextHash();
        return _textHash;
    }

    /// <summary>
    /// <see cref="ToStringHash"/> once computed (0 until then): the inspector sends the same load requests
    /// every tick, and the scheduler fingerprints each delivery. Not part of the record's value: equality,
    /// the hash code and the copy a <c>with</c> makes leave it out (the copy computes its own).
    /// </summary>
    private ulong _textHash;

    /// <summary>A copy for <c>with</c>: the positional values, not the remembered hash of the original's text.</summary>
    private WordAccessOp(WordAccessOp original)
        : base(original)
    {
        Address = original.Address;
        Write = original.Write;
        Value = original.Value;
    }

    public bool Equals(WordAccessOp? other) =>
        ReferenceEquals(this, other)
        || (other is not null && EqualityContract == other.EqualityContract && Address == other.Address && Write == other.Write && Value == other.Value);

    public override int GetHashCode() => HashCode.Combine(EqualityContract, Address, Write, Value);

    private ulong TextHash()
    {
        Span<char> digits = stackalloc char[20];
        ulong hash = TraceHash.OfChars(AccessOp.HexDigits(Address.Value, digits), PrefixHash);
        hash = TraceHash.OfChars(Write ? ", Write = True, Value = " : ", Write = False, Value = ", hash);
        hash = TraceHash.OfChars(DecimalDigits(Value, digits), hash);
        return TraceHash.OfChars(" }", hash);
    }

    /// <summary><paramref name="value"/> in decimal, as <c>ToString()</c> writes a ulong.</summary>
    private static ReadOnlySpan<char> DecimalDigits(ulong value, Span<char> buffer)
    {
        int count = 0;
        do
        {
            buffer[buffer.Length - 1 - count] = (char)('0' + (int)(value % 10));
            value /= 10;
            count++;
        }
        while (value != 0);

        return buffer[(buffer.Length - count)..];
    }
}

/// <summary>The task sleeps (think time): the CPU switches to its idle task, lazily keeping the mm loaded.</summary>
public sealed record SleepOp : UserOp
{
    /// <summary>The hash of the text every sleep op has, <c>SleepOp { }</c>: a sleep is asked for every tick.</summary>
    private static readonly ulong TextHash = TraceHash.OfString(new SleepOp().ToString());

    internal override ulong ToStringHash() => TextHash;
}

/// <summary>A process's request to its CPU to run <see cref="Op"/> as task <see cref="Pid"/>.</summary>
public sealed record UserRequest(int Pid, UserOp Op) : ITraceable
{
    public ulong TraceFingerprint => ((ulong)(uint)Pid << 32) ^ Op.ToStringHash();
}

/// <summary>What came back: the syscall's return value (or -errno), a SIGSEGV, the byte loaded, or the task's death.</summary>
public sealed record UserResult(long Ret, bool Segv, byte Value, bool Killed) : ITraceable
{
    /// <summary>The result of each completed access, by the byte it loaded or stored.</summary>
    private static readonly UserResult[] AccessResults = [.. Enumerable.Range(0, byte.MaxValue + 1).Select(b => new UserResult(0, false, (byte)b, false))];

    /// <summary>The result of each completed word access whose word is below 256 (the inspector's pfns and state flags are).</summary>
    private static readonly UserResult[] SmallWordResults = [.. Enumerable.Range(0, byte.MaxValue + 1).Select(w => new UserResult(0, false, (byte)w, false) { Word = (ulong)w })];

    /// <summary>The commonest return, 0: shared, as results are immutable.</summary>
    private static readonly UserResult ReturnedZero = new(0, false, 0, false);

    public static UserResult Returned(long ret) => ret == 0 ? ReturnedZero : new(ret, false, 0, false);

    /// <summary>
    /// Results of larger words made lately on this thread (<see cref="RecentWords"/>): the inspector loads the
    /// same vaddr words every tick. Results are immutable, so a shared one is as good as a new one;
    /// thread-static, so no two threads share a slot.
    /// </summary>
    [ThreadStatic]
    private static UserResult?[]? _recentWordResults;

    /// <summary>A word access completed with <paramref name="word"/> (its low byte is <see cref="Value"/>); shared instances for small and recent words.</summary>
    public static UserResult AccessedWord(ulong word)
    {
        if (word < (ulong)SmallWordResults.Length)
        {
            return SmallWordResults[word];
        }

        ref UserResult? slot = ref RecentWords.Slot(ref _recentWordResults, word);
        if (slot is { } cached && cached.Word == word)
        {
            return cached;
        }

        slot = new UserResult(0, false, (byte)word, false) { Word = word };
        return slot;
    }

    /// <summary>A user access completed with <paramref name="value"/>; shared instances, as one is returned per access.</summary>
    public static UserResult Accessed(byte value) => AccessResults[value];

    /// <summary>The answer to any request of a task that has exited: -ESRCH, and dead.</summary>
    public static UserResult Dead { get; } = new(-(long)Errno.ESRCH, false, 0, true);

    /// <summary>The 8-byte value a <see cref="WordAccessOp"/> load returned.</summary>
    public ulong Word { get; init; }

    /// <summary>The siginfo of the SIGSEGV the task's handler is given (null when none); not part of the trace fingerprint.</summary>
    public Siginfo? Siginfo { get; init; }

    /// <summary>Text a read() returned (/proc/self/maps); null for other calls.</summary>
    public string? Text { get; init; }

    public ulong TraceFingerprint => (ulong)Ret ^ ((ulong)Value << 48) ^ (Segv ? 1UL << 62 : 0) ^ (Killed ? 1UL << 63 : 0);
}
