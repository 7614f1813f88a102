using ShadowPt.Runtime;
using ShadowPt.Runtime.Actors;
using ShadowPt.Tests.TestKit;

namespace ShadowPt.Tests.Runtime.Actors;

/// <summary><see cref="IInterrupt"/> messages and <see cref="IActorContext.InterruptsDisabled"/> (local_irq_disable / local_irq_enable).</summary>
public sealed class InterruptTests
{
    public static TheoryData<ulong> Seeds() => new(Enumerable.Range(1, 10).Select(s => (ulong)s));

    [Theory]
    [MemberData(nameof(Seeds))]
    public void DisabledInterruptsWaitWhileUserMessagesGoOn(ulong seed)
    {
        using ActorTestKit kit = ActorTestKit.Deterministic(seed);
        var events = new List<string>();
        IActorRef cpu = kit.ActorOf(Props.Create(() => new Cpu(null, events)), "cpu");
        cpu.Tell("irq-off");
        kit.RunToQuiescence();

        cpu.Tell(new Ipi(1));
        cpu.Tell("user 1");
        cpu.Tell("user 2");
        kit.RunToQuiescence();
        Assert.Equal(["irq-off", "user 1", "user 2"], events);

        cpu.Tell("irq-on");
        kit.RunToQuiescence();
        Assert.Equal(["irq-off", "user 1", "user 2", "irq-on", "ipi 1"], events);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void DisabledInterruptsWaitThroughASuspendedHandler(ulong seed)
    {
        using ActorTestKit kit = ActorTestKit.Deterministic(seed);
        TestProbe server = kit.CreateProbe("server");
        var events = new List<string>();
        IActorRef cpu = kit.ActorOf(Props.Create(() => new Cpu(server.Ref, events)), "cpu");

        cpu.Tell(new LockedSyscall());
        server.ExpectMsg("request");
        cpu.Tell(new Ipi(1));
        cpu.Tell(new Ipi(2));
        server.ExpectNoMsg();
        Assert.Equal(["syscall begins with irqs off"], events);

        server.Reply("reply");
        kit.RunToQuiescence();

        // The interrupts come in their send order once the handler enabled them again.
        Assert.Equal(["syscall begins with irqs off", "syscall ends with reply", "ipi 1", "ipi 2"], events);
    }

    [Fact]
    public void InterruptsPassUserMessagesQueuedBeforeThemWhileAHandlerWaits()
    {
        using ActorTestKit kit = ActorTestKit.Deterministic(1);
        TestProbe server = kit.CreateProbe("server");
        var events = new List<string>();
        IActorRef cpu = kit.ActorOf(Props.Create(() => new Cpu(server.Ref, events)), "cpu");
        cpu.Tell(new Syscall());
        server.ExpectMsg("request");

        cpu.Tell("user 1");
        cpu.Tell(new Ipi(1));
        server.ExpectNoMsg();

        Assert.Equal(["syscall begins", "ipi 1"], events);
    }

    /// <summary>An interrupt, as an IPI.</summary>
    private sealed record Ipi(int Vector) : IInterrupt;

    /// <summary>A system call that asks the server once.</summary>
    private sealed record Syscall;

    /// <summary>A system call that asks the server with interrupts disabled.</summary>
    private sealed record LockedSyscall;

    private sealed class Cpu : ReceiveActor
    {
        public Cpu(IActorRef? server, List<string> events)
        {
            Receive<Ipi>(ipi => events.Add($"ipi {ipi.Vector}"));
            Receive<string>(s => s == "irq-off", s =>
            {
                Context.InterruptsDisabled = true;
                events.Add(s);
            });
            Receive<string>(s => s == "irq-on", s =>
            {
                Context.InterruptsDisabled = false;
                events.Add(s);
            });
            ReceiveAsync<Syscall>(async _ =>
            {
                events.Add("syscall begins");
                events.Add("syscall ends with " + await Context.Ask<string>(server!, "request"));
            });
            ReceiveAsync<LockedSyscall>(async _ =>
            {
                Context.InterruptsDisabled = true;
                events.Add("syscall begins with irqs off");
                string reply = await Context.Ask<string>(server!, "request");
                events.Add("syscall ends with " + reply);
                Context.InterruptsDisabled = false;
            });
            Receive<string>(events.Add);
        }
    }
}
