using ShadowPt.Runtime;
using ShadowPt.Runtime.Actors;
using ShadowPt.Runtime.Async;
using ShadowPt.Tests.TestKit;

namespace ShadowPt.Tests.Runtime.Scheduling;

/// <summary>The threaded scheduler runs the same actors with real concurrency: every message exactly once, FIFO per pair.</summary>
public sealed class ThreadedSchedulerTests
{
    /// <summary>Failure bound of the load test's wait; the run itself takes well under a second.</summary>
    private static readonly TimeSpan LoadWaitMax = TimeSpan.FromSeconds(60);

    [Fact]
    public void DeliversEveryMessageExactlyOnceAndInOrderPerPairUnderLoad()
    {
        const int actors = 200;
        const int peers = 20;
        const int rounds = 10;
        const int perRound = 10;
        const long total = (long)actors * peers * rounds * perRound;
        using ActorTestKit kit = ActorTestKit.Threaded();
        var done = new Completion(total);
        var nodes = new Node[actors];
        var refs = new IActorRef[actors];
        for (int i = 0; i < actors; i++)
        {
            int index = i;
            refs[i] = kit.ActorOf(Props.Create(() => nodes[index] = new Node(index, actors, done)), $"n{i}");
        }

        foreach (IActorRef node in refs)
        {
            node.Tell(new Begin(refs, peers, rounds, perRound));
        }

        Assert.True(done.Wait(LoadWaitMax), $"{done.Received} of {total} messages arrived within the failure bound");
        kit.AssertNoViolation();

        // Every sender-receiver pair: exactly rounds * perRound messages, numbered 0.. in order.
        long pairs = 0;
        foreach (Node node in nodes)
        {
            Assert.Equal(0, node.OutOfOrder);
            for (int sender = 0; sender < actors; sender++)
            {
                bool isPeer = (node.Index - sender + actors) % actors is >= 1 and <= peers;
                Assert.Equal(isPeer ? rounds * perRound : 0, node.NextExpected[sender]);
                pairs += isPeer ? 1 : 0;
            }
        }

        Assert.Equal(actors * peers, pairs);
        Assert.Equal(0, kit.System.DeadLetters);
        Assert.Equal(0, kit.System.Unhandled);
    }

    [Fact]
    public void PingPongPairsNeverStall()
    {
        // Each delivery empties the receiver's mailbox just as its peer answers: the worker's hand-over
        // from Scheduled to Idle races a new message at every step, and a lost wake-up stalls a pair.
        const int pairs = 64;
        const int rallies = 5_000;
        using ActorTestKit kit = ActorTestKit.Threaded();
        var done = new Completion(pairs);
        var hits = new int[2 * pairs];
        for (int p = 0; p < pairs; p++)
        {
            int index = p;
            IActorRef a = kit.ActorOf(Props.Create(() => new Player(hits, 2 * index, rallies, done)), $"a{p}");
            IActorRef b = kit.ActorOf(Props.Create(() => new Player(hits, 2 * index + 1, rallies, done)), $"b{p}");
            a.Tell(0, b);
        }

        bool finished = done.Wait(LoadWaitMax);

        Assert.True(finished, "stalled pairs (pair: hits of a/b): " + string.Join(", ", Enumerable.Range(0, pairs)
            .Where(p => Volatile.Read(ref hits[2 * p]) + Volatile.Read(ref hits[2 * p + 1]) < rallies)
            .Select(p => $"{p}: {Volatile.Read(ref hits[2 * p])}/{Volatile.Read(ref hits[2 * p + 1])}")));
        Assert.All(Enumerable.Range(0, pairs), p => Assert.Equal(rallies, hits[2 * p] + hits[2 * p + 1]));
        kit.AssertNoViolation();
    }

    [Fact]
    public void AsyncHandlersAskAcrossThreads()
    {
        const int askers = 50;
        using ActorTestKit kit = ActorTestKit.Threaded();
        TestProbe probe = kit.CreateProbe();
        IActorRef server = kit.ActorOf(Props.Create(() => new Doubler()), "server");
        for (int i = 0; i < askers; i++)
        {
            kit.ActorOf(Props.Create(() => new Asker(server, probe.Ref)), $"a{i}").Tell(i);
        }

        // Each asker asks ten times in sequence and reports the sum of the answers.
        IEnumerable<int> sums = Enumerable.Range(0, askers).Select(_ => probe.ExpectMsg<int>()).Order();
        Assert.Equal(Enumerable.Range(0, askers).Select(i => Enumerable.Range(0, 10).Sum(k => 2 * (i + k))), sums);
    }

    [Fact]
    public void ActorExceptionIsAViolationAndStopsTheActor()
    {
        using ActorTestKit kit = ActorTestKit.Threaded();

        // The violation is published before the actor stops: the probe must wait through it for the Terminated.
        var probe = new TestProbe(kit.System) { ViolationExpected = true };
        IActorRef fragile = kit.ActorOf(Props.Create(() => new Fragile()), "fragile");
        probe.Watch(fragile);

        fragile.Tell("boom");

        probe.ExpectTerminated(fragile);
        Assert.Equal(Violation.ActorException, kit.System.Violation!.Kind);
        Assert.Equal("/user/fragile threw InvalidOperationException handling String: boom", kit.System.Violation.Message);
    }

    private sealed record Begin(IActorRef[] Nodes, int Peers, int Rounds, int PerRound);

    private sealed record Round(int Number);

    private sealed record Item(int Sender, int Sequence);

    /// <summary>Counts arrivals and signals when all expected ones came.</summary>
    private sealed class Completion(long expected)
    {
        private readonly ManualResetEventSlim _all = new();
        private long _received;

        public long Received => Interlocked.Read(ref _received);

        public void Arrived()
        {
            if (Interlocked.Increment(ref _received) == expected)
            {
                _all.Set();
            }
        }

        public bool Wait(TimeSpan failureBound) => _all.Wait(failureBound);
    }

    /// <summary>Sends numbered items to the next peers a round at a time (a round per self-message) and checks what it receives.</summary>
    private sealed class Node : ReceiveActor
    {
        private Begin? _plan;
        private int _sequence;

        public Node(int index, int actors, Completion done)
        {
            Index = index;
            NextExpected = new int[actors];
            Receive<Begin>(b =>
            {
                _plan = b;
                Self.Tell(new Round(0));
            });
            Receive<Round>(r => SendRound(r.Number));
            Receive<Item>(item =>
            {
                if (item.Sequence != NextExpected[item.Sender])
                {
                    OutOfOrder++;
                }

                NextExpected[item.Sender] = item.Sequence + 1;
                done.Arrived();
            });
        }

        public int Index { get; }

        /// <summary>Per sender, the sequence number expected next: after the run, the count received.</summary>
        public int[] NextExpected { get; }

        public int OutOfOrder { get; private set; }

        private void SendRound(int number)
        {
            Begin plan = _plan!;
            int first = _sequence;
            for (int p = 1; p <= plan.Peers; p++)
            {
                IActorRef peer = plan.Nodes[(Index + p) % plan.Nodes.Length];
                for (int k = 0; k < plan.PerRound; k++)
                {
                    peer.Tell(new Item(Index, first + k));
                }
            }

            _sequence += plan.PerRound;
            if (number + 1 < plan.Rounds)
            {
                Self.Tell(new Round(number + 1));
            }
        }
    }

    /// <summary>Returns the ball until the rally count is reached; counts its own hits.</summary>
    private sealed class Player : ReceiveActor
    {
        public Player(int[] hits, int slot, int rallies, Completion done)
        {
            Receive<int>(n =>
            {
                Volatile.Write(ref hits[slot], hits[slot] + 1);
                if (n + 1 == rallies)
                {
                    done.Arrived();
                }
                else
                {
                    Sender.Tell(n + 1);
                }
            });
        }
    }

    private sealed class Doubler : ReceiveActor
    {
        public Doubler() => Receive<int>(n => Sender.Tell(2 * n));
    }

    private sealed class Asker : ReceiveActor
    {
        public Asker(IActorRef server, IActorRef report)
        {
            ReceiveAsync<int>(async start =>
            {
                int sum = 0;
                for (int k = 0; k < 10; k++)
                {
                    sum += await Context.Ask<int>(server, start + k);
                }

                report.Tell(sum);
            });
        }
    }

    private sealed class Fragile : ReceiveActor
    {
        public Fragile() => Receive<string>(s => throw new InvalidOperationException(s));
    }
}
