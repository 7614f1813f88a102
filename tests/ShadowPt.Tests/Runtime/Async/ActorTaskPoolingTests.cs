using ShadowPt.Runtime.Async;

namespace ShadowPt.Tests.Runtime.Async;

/// <summary>
/// The state-machine boxes behind <see cref="ActorTask"/> go back to a per-thread pool once their result
/// was taken: a stale copy of a task must throw, never read the next call's result, and chains, faults,
/// synchronous completions and tasks awaited later must behave as without the pool.
/// </summary>
public sealed class ActorTaskPoolingTests
{
    [Fact]
    public void AStaleCopyOfATaskThrowsInsteadOfSeeingTheNextCallOfTheSameMethod()
    {
        var first = new ActorTaskSource<int>();
        ActorTask<int> task = PlusOne(Manual(first));
        ActorTask<int> copy = task;
        Assert.False(task.IsCompleted);
        first.SetResult(41);
        Assert.Equal(42, Take(task));

        // The box went back to the pool: the next call of the same method takes it again.
        var second = new ActorTaskSource<int>();
        ActorTask<int> next = PlusOne(Manual(second));
        Assert.Throws<InvalidOperationException>(() => copy.IsCompleted);
        Assert.Throws<InvalidOperationException>(() => Take(copy));
        Assert.Throws<InvalidOperationException>(() => copy.GetAwaiter().OnCompleted(() => { }));

        second.SetResult(99);
        Assert.Throws<InvalidOperationException>(() => Take(copy));
        Assert.Equal(100, Take(next));
    }

    [Fact]
    public void TakingTheResultTwiceThrows()
    {
        var source = new ActorTaskSource<int>();
        ActorTask untyped = PlusOne(Manual(source));
        source.SetResult(1);
        Take(untyped);
        Assert.Throws<InvalidOperationException>(() => Take(untyped));
    }

    [Fact]
    public void TheResultCannotBeTakenBeforeTheTaskCompletes()
    {
        var source = new ActorTaskSource<int>();
        ActorTask<int> task = PlusOne(Manual(source));
        Assert.Throws<InvalidOperationException>(() => Take(task));
        source.SetResult(1);
        Assert.Equal(2, Take(task));
    }

    [Fact]
    public void DeepAwaitChainsCompleteAgainAndAgainWithPooledBoxes()
    {
        for (int round = 0; round < 3; round++)
        {
            var bottom = new ActorTaskSource<int>();
            ActorTask<int> top = Chain(Manual(bottom), depth: 100);
            Assert.False(top.IsCompleted);
            bottom.SetResult(round);
            Assert.True(top.IsCompleted);
            Assert.Equal(round + 100, Take(top));
        }
    }

    [Fact]
    public void AFaultCrossesTheChainAndTheBoxesServeTheNextCall()
    {
        var bottom = new ActorTaskSource<int>();
        ActorTask<int> top = Chain(Manual(bottom), depth: 20);
        bottom.SetException(new TimeoutException("bottom"));
        Assert.Equal("bottom", Assert.Throws<TimeoutException>(() => Take(top)).Message);
        Assert.Throws<InvalidOperationException>(() => Take(top));

        var again = new ActorTaskSource<int>();
        ActorTask<int> next = Chain(Manual(again), depth: 20);
        again.SetResult(1);
        Assert.Equal(21, Take(next));
    }

    [Fact]
    public void SynchronousCompletionsAndSynchronousFaultsNeedNoBox()
    {
        ActorTask<int> done = Chain(new ActorTask<int>(5), depth: 10);
        Assert.True(done.IsCompleted);
        Assert.Equal(15, Take(done));
        Assert.Equal(15, Take(done)); // no source: nothing to recycle

        ActorTask faulted = ThrowAtOnce();
        Assert.True(faulted.IsCompleted);
        Assert.Throws<TimeoutException>(() => Take(faulted));
    }

    [Fact]
    public void ATaskThatCompletesBeforeItIsAwaitedKeepsItsResultUntilTaken()
    {
        var source = new ActorTaskSource<int>();
        ActorTask<int> stored = PlusOne(Manual(source));
        source.SetResult(6);

        // Other calls of the same method meanwhile must not take the stored task's box.
        for (int i = 0; i < 3; i++)
        {
            var other = new ActorTaskSource<int>();
            ActorTask<int> call = PlusOne(Manual(other));
            other.SetResult(i);
            Assert.Equal(i + 1, Take(call));
        }

        Assert.True(stored.IsCompleted);
        Assert.Equal(7, Take(stored));
    }

    [Fact]
    public void ADetachedTaskTakesItsOwnResultAndRethrowsItsFaultFromTheCompletingCall()
    {
        var ok = new ActorTaskSource<int>();
        ActorTask<int> quiet = PlusOne(Manual(ok));
        quiet.GetAwaiter().OnCompleted(() => { }); // an awaiter is registered once only
        Assert.Throws<InvalidOperationException>(() => ((ActorTask)quiet).GetAwaiter().OnCompletedDetached());
        ok.SetResult(1);
        Assert.Equal(2, Take(quiet));

        var good = new ActorTaskSource<int>();
        ActorTask detached = PlusOne(Manual(good));
        detached.GetAwaiter().OnCompletedDetached();
        good.SetResult(1);
        Assert.Throws<InvalidOperationException>(() => detached.IsCompleted); // its result was taken

        var bad = new ActorTaskSource<int>();
        ActorTask failing = PlusOne(Manual(bad));
        failing.GetAwaiter().OnCompletedDetached();
        Assert.Throws<TimeoutException>(() => bad.SetException(new TimeoutException()));
    }

    /// <summary>Takes a task's result as an awaiter does (no blocking: an ActorTask completes only when something completes it).</summary>
    private static T Take<T>(ActorTask<T> task) => task.GetAwaiter().GetResult();

    private static void Take(ActorTask task) => task.GetAwaiter().GetResult();

    private static ActorTask<int> Manual(ActorTaskSource<int> source) => new(source, source.Version);

    private static async ActorTask<int> PlusOne(ActorTask<int> inner) => await inner + 1;

    private static async ActorTask<int> Chain(ActorTask<int> bottom, int depth)
        => depth == 0 ? await bottom : await Chain(bottom, depth - 1) + 1;

    private static async ActorTask ThrowAtOnce()
    {
        await ActorTask.CompletedTask;
        throw new TimeoutException();
    }
}
