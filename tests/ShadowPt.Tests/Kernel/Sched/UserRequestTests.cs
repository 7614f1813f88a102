using ShadowPt.Kernel;
using ShadowPt.Runtime.Recording;

namespace ShadowPt.Tests.Kernel.Sched;

/// <summary>The trace fingerprint of a user request is the hash of its op's text, however that hash is computed.</summary>
public sealed class UserRequestTests
{
    public static TheoryData<ulong, bool, byte> Accesses => new()
    {
        { 0, false, 0 },
        { 0x1000, true, 1 },
        { 0x7f0000000000, false, 0 },
        { 0x7ffffffff000, true, 255 },
        { 0x555555559abc, true, 42 },
        { ulong.MaxValue, false, 9 },
        { 0xabcdef, true, 100 },
        { 0xf, false, 10 },
        { 0x10, true, 99 },
        { 0x8000000000000000, false, 200 },
    };

    [Theory]
    [MemberData(nameof(Accesses))]
    public void AnAccessOpHashesItsTextWithoutBuildingIt(ulong address, bool write, byte value)
    {
        var op = new AccessOp(new VirtAddr(address), write, value);

        Assert.Equal(TraceHash.OfString(op.ToString()), op.ToStringHash());
        Assert.Equal(((ulong)7 << 32) ^ TraceHash.OfString(op.ToString()), new UserRequest(7, op).TraceFingerprint);
    }

    [Fact]
    public void ManyAccessOpsHashTheirText()
    {
        var random = new Random(12345);
        for (int i = 0; i < 10_000; i++)
        {
            ulong address = (ulong)random.NextInt64() >> random.Next(64);
            var op = new AccessOp(new VirtAddr(address), random.Next(2) == 1, (byte)random.Next(256));

            Assert.Equal(TraceHash.OfString(op.ToString()), op.ToStringHash());
        }
    }

    [Fact]
    public void WordAccessOpsHashTheirText()
    {
        var random = new Random(54321);
        ulong[] edges = [0, 1, 9, 10, 99, 100, ulong.MaxValue, ulong.MaxValue / 10, 10_000_000_000_000_000_000];
        foreach (ulong value in edges)
        {
            var op = new WordAccessOp(new VirtAddr(value), value % 2 == 0, value);
            Assert.Equal(TraceHash.OfString(op.ToString()), op.ToStringHash());
        }

        for (int i = 0; i < 10_000; i++)
        {
            ulong address = (ulong)random.NextInt64() >> random.Next(64);
            ulong value = (ulong)random.NextInt64() >> random.Next(64);
            var op = new WordAccessOp(new VirtAddr(address), random.Next(2) == 1, value);

            Assert.Equal(TraceHash.OfString(op.ToString()), op.ToStringHash());
            Assert.Equal(((ulong)3 << 32) ^ TraceHash.OfString(op.ToString()), new UserRequest(3, op).TraceFingerprint);
        }
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(1UL)]
    [InlineData(255UL)]
    [InlineData(256UL)]
    [InlineData(0x7f0000001234UL)]
    [InlineData(ulong.MaxValue)]
    public void AWordAccessResultCarriesItsWordAndLowByteWhetherSharedOrNot(ulong word)
    {
        UserResult result = UserResult.AccessedWord(word);

        Assert.Equal(new UserResult(0, false, (byte)word, false) { Word = word }, result);
        Assert.Same(result, UserResult.AccessedWord(word)); // small words always, larger ones while remembered
    }

    [Fact]
    public void RememberedWordResultsAndRepliesNeverAnswerForAnotherWord()
    {
        // Words that collide in the direct-mapped caches (same slot), interleaved.
        ulong[] words = [0x40000000, 0x40000000 + (256UL << 12), 0x40001000, 0x40000000 + 256, ulong.MaxValue, 0x40000000];
        foreach (ulong word in words.Concat(words.Reverse()))
        {
            Assert.Equal(word, UserResult.AccessedWord(word).Word);
            Assert.Equal((byte)word, UserResult.AccessedWord(word).Value);
            Assert.Equal(word, (ulong)MemReply.Of(word).Value!);
        }
    }

    [Fact]
    public void AWordAccessOpRemembersItsTextHashButNotAcrossWithOrEquality()
    {
        var op = new WordAccessOp(new VirtAddr(0x40001000), false, 0);
        ulong first = op.ToStringHash();
        Assert.Equal(first, op.ToStringHash()); // remembered
        Assert.Equal(TraceHash.OfString(op.ToString()), first);

        WordAccessOp moved = op with { Address = new VirtAddr(0x40002000) }; // the copy must not keep the original's hash
        Assert.Equal(TraceHash.OfString(moved.ToString()), moved.ToStringHash());
        Assert.NotEqual(first, moved.ToStringHash());
        WordAccessOp stored = op with { Write = true, Value = 7 };
        Assert.Equal(TraceHash.OfString(stored.ToString()), stored.ToStringHash());

        var fresh = new WordAccessOp(new VirtAddr(0x40001000), false, 0); // equal value, hash not computed yet
        Assert.Equal(op, fresh);
        Assert.Equal(op.GetHashCode(), fresh.GetHashCode());
        Assert.NotEqual(op, moved);
        Assert.NotEqual<UserOp>(op, new AccessOp(new VirtAddr(0x40001000), false, 0));
        Assert.Equal("WordAccessOp { Address = 0x40001000, Write = False, Value = 0 }", op.ToString()); // the cache is not printed
    }

    [Fact]
    public void OtherOpsHashTheirText()
    {
        UserOp[] ops =
        [
            new SleepOp(),
            new SyscallOp(new MunmapCall(new VirtAddr(0x1000), 4096)),
            new SyscallOp(new MmapCall(VirtAddr.Zero, 8192, Prot.Read | Prot.Write, MapFlags.Private | MapFlags.Anonymous)),
            new SyscallOp(new ExitCall(3)),
            new SyscallOp(new UffdioCopyCall(4, new VirtAddr(0x7f0000000000), 4096, 0x41, 0)),
            new SyscallOp(new UffdioCopyCall(4, new VirtAddr(0x7f0000000000), 4096, 0x41, 0, [1, 2, 3])),
            new SyscallOp(null!),
        ];

        Assert.All(ops, op => Assert.Equal(TraceHash.OfString(op.ToString()), op.ToStringHash()));
    }

    [Fact]
    public void HashingGoesOnFromAPrefix()
    {
        Assert.Equal(TraceHash.OfString("mm1->mmap_lock"), TraceHash.OfChars("->mmap_lock", TraceHash.OfChars("mm1")));
        Assert.Equal(TraceHash.OfString("load (tlb hit)"), TraceHash.OfLiteral("load (tlb hit)"));
        Assert.Equal(TraceHash.OfString("load (tlb hit)"), TraceHash.OfLiteral("load (tlb hit)"));
    }

    [Fact]
    public void SharedRepliesCarryTheirValue()
    {
        Assert.Equal(true, MemReply.Of(true).Value);
        Assert.Equal(false, MemReply.Of(false).Value);
        Assert.Equal((byte)77, MemReply.Of((byte)77).Value);
        Assert.Same(MemReply.Of((byte)77), MemReply.Of((byte)77));
        Assert.Equal(77L, MemReply.Of(77L).Value);
        Assert.Equal(77UL, MemReply.Of(77UL).Value);
        Assert.Same(MemReply.Of(255UL), MemReply.Of(255UL));
        Assert.Equal(256UL, MemReply.Of(256UL).Value);
        Assert.Equal(ulong.MaxValue, MemReply.Of(ulong.MaxValue).Value);
        Assert.Equal(UserResult.Accessed(5), new UserResult(0, false, 5, false));
    }
}

/// <summary>A lock's part of the trace is the hash of its name, however that hash is computed.</summary>
public sealed class LockNameHashTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(42)]
    [InlineData(int.MaxValue)]
    public void AnMmapLockHashesItsName(int mm)
    {
        var lockRef = new MmapLockRef(new MmId(mm));

        Assert.Equal(TraceHash.OfString(lockRef.Name), lockRef.NameHash);
    }

    [Theory]
    [InlineData(2UL)]
    [InlineData(0xabcUL)]
    [InlineData(0x3ffffffUL)]
    public void APageTableLockHashesItsName(ulong pfn)
    {
        var lockRef = new PtlRef(new PtePageId(new Pfn(pfn)));

        Assert.Equal(TraceHash.OfString(lockRef.Name), lockRef.NameHash);
    }

    [Fact]
    public void OtherLocksHashTheirName() =>
        Assert.Equal(TraceHash.OfString(NotifierSrcuRef.Instance.Name), NotifierSrcuRef.Instance.NameHash);
}
