using System.Globalization;
using ShadowPt.Kernel;
using ShadowPt.Runtime.Actors;
using ShadowPt.Runtime.Async;
using ShadowPt.Spt;

namespace ShadowPt.Actors;

/// <summary>
/// The spec's inspector process: allocates a struct user_shadow_pt and an unpopulated entries range,
/// opens the shadow table on the target, starts tracking, and every period reads the whole table
/// one 8-byte word at a time through its own page table and TLB, printing one line per page; then
/// stops and closes, or exits without closing. Every operation is a user access or a syscall on its CPU.
/// </summary>
public sealed class InspectorActor : ReceiveActor
{
    private readonly Machine _machine;
    private readonly InspectorSpec _spec;
    private readonly int _pid;
    private readonly int _cpu;

    /// <summary>Where the printed lines go (owned by the scenario, read after the run).</summary>
    private readonly List<string> _output;

    /// <summary>Operations done so far, for <see cref="InspectorSpec.ExitAfterOperations"/>.</summary>
    private int _operations;

    /// <summary>The table's load requests by entry and word, made on first use (see <see cref="LoadRequest"/>).</summary>
    private UserRequest?[] _loads = [];

    public InspectorActor(Machine machine, InspectorSpec spec, int pid, int cpu, List<string> output)
    {
        _machine = machine;
        _spec = spec;
        _pid = pid;
        _cpu = cpu;
        _output = output;
        ReceiveAsync<ProcessActor.Start>(_ => Run());
    }

    private async ActorTask Run()
    {
        try
        {
            await Inspect();
        }
        catch (InspectorExited)
        {
        }

        Context.Parent?.Tell(new ProcessExited(default, _pid), Self);
    }

    private async ActorTask Inspect()
    {
        await Syscall(new SigsegvHandlerCall(true));
        ulong count = (_spec.EndVaddr - _spec.StartVaddr + PageGeometry.PageSize - 1) / PageGeometry.PageSize;
        ulong entriesBytes = VirtAddr.PageAlignLength(Math.Max(1, Math.Min(count, Spt.Spt.MaxSptRange / PageGeometry.PageSize)) * Spt.Spt.ShadowPteBytes);
        var rw = Prot.Read | Prot.Write;
        var flags = MapFlags.Private | MapFlags.Anonymous;
        long header = (await Syscall(new MmapCall(VirtAddr.Zero, PageGeometry.PageSize, rw, flags))).Ret;
        long entries = (await Syscall(new MmapCall(VirtAddr.Zero, entriesBytes, rw, flags))).Ret;
        var dest = new VirtAddr((ulong)header);
        await Store(dest, _spec.StartVaddr);
        await Store(dest + 8, _spec.EndVaddr);
        await Store(dest + 16, (ulong)entries);
        long opened = (await Syscall(new ShadowptOpenCall(_spec.TargetPid, dest))).Ret;
        Print($"shadowpt_open({_spec.TargetPid}) = {opened}");
        if (opened < 0)
        {
            await ExitSyscall();
            return;
        }

        ulong end = (await Step(Load(dest + 8))).Word;
        int shown = (int)((end - _spec.StartVaddr + PageGeometry.PageSize - 1) / PageGeometry.PageSize);
        Print($"shadowpt_start() = {(await Syscall(new ShadowptStartCall())).Ret}");
        int ticks = Math.Min(_spec.Ticks, InspectorSpec.TicksMax);
        ReserveOutput(1 + (ticks * (1L + shown)) + 2); // start, each pass with its header, stop and close
        for (int tick = 0; tick < ticks; tick++)
        {
            await ReadTable((ulong)entries, shown);
            await Sleep();
        }

        if (_spec.Ending == InspectorEnding.Close)
        {
            Print($"shadowpt_stop() = {(await Syscall(new ShadowptStopCall())).Ret}");
            Print($"shadowpt_close() = {(await Syscall(new ShadowptCloseCall())).Ret}");
        }

        await ExitSyscall(); // the program's end: returning is the ordinary way out, no exception to unwind
    }

    /// <summary>One pass over the table: three word loads per entry, one line per page.</summary>
    /// <remarks>
    /// The loads are <see cref="Step"/> written out (exit point, request, death check) and awaited here, not
    /// in a method of their own: a suspended async layer costs a box, and these are most of the inspector's steps.
    /// </remarks>
    private async ActorTask ReadTable(ulong entries, int count)
    {
        Print(EntryLines.Header(Context.Now.Value, _spec.TargetPid));
        for (int i = 0; i < count; i++)
        {
            await ExitIfDue();
            ulong vaddr = Alive(await Ask(LoadRequest(entries, count, i, 0))).Word;
            await ExitIfDue();
            ulong pfn = Alive(await Ask(LoadRequest(entries, count, i, 1))).Word;
            await ExitIfDue();
            ulong state = Alive(await Ask(LoadRequest(entries, count, i, 2))).Word;
            Print(EntryLines.Of(new ShadowPte(vaddr, pfn, state)));
        }
    }

    /// <summary>
    /// The request loading word <paramref name="word"/> of entry <paramref name="entry"/>, made on first use
    /// and sent again every tick: requests are immutable, so sending the same one again is sending an equal one.
    /// </summary>
    private UserRequest LoadRequest(ulong entries, int count, int entry, int word)
    {
        if (_loads.Length != count * 3)
        {
            _loads = new UserRequest?[count * 3];
        }

        var at = new VirtAddr(entries + ((ulong)entry * Spt.Spt.ShadowPteBytes) + ((ulong)word * 8));
        ref UserRequest? request = ref _loads[(entry * 3) + word];
        if (request is null || ((WordAccessOp)request.Op).Address != at)
        {
            request = new UserRequest(_pid, Load(at));
        }

        return request;
    }

    private async ActorTask Sleep()
    {
        await Step(new SleepOp());
        await Context.Delay(_spec.PeriodTicks);
    }

    /// <summary>exit(0) from the middle of the program: unwinds it (the exception never leaves <see cref="Run"/>).</summary>
    private async ActorTask Exit()
    {
        await ExitSyscall();
        throw new InspectorExited();
    }

    /// <summary>The exit(0) system call, without unwinding: where the program ends anyway it simply returns after it.</summary>
    private AskAwaitable<UserResult> ExitSyscall() => _machine.Cpus[_cpu].AskUser(Context, _pid, new SyscallOp(new ExitCall(0)));

    private async ActorTask Store(VirtAddr address, ulong value) => await Step(new WordAccessOp(address, true, value));

    /// <summary>The 8-byte load of <paramref name="address"/>: its result's <see cref="UserResult.Word"/> is the word.</summary>
    private static WordAccessOp Load(VirtAddr address) => new(address, false, 0);

    private ActorTask<UserResult> Syscall(Syscall call) => Step(new SyscallOp(call));

    /// <summary>One operation; exits first when the spec says this is where the inspector dies.</summary>
    private async ActorTask<UserResult> Step(UserOp op)
    {
        await ExitIfDue();
        return Alive(await Ask(new UserRequest(_pid, op)));
    }

    /// <summary>Exits (unwinding) when the spec says the inspector dies before its next operation; else completed at once.</summary>
    private ActorTask ExitIfDue() =>
        _spec.ExitAfterOperations is int limit && _operations >= limit ? ExitAfterOperations() : ActorTask.CompletedTask;

    private async ActorTask ExitAfterOperations()
    {
        Print($"inspector exits after {_operations} operations");
        await Exit();
    }

    /// <summary>Sends one operation to the CPU, counting it.</summary>
    private AskAwaitable<UserResult> Ask(UserRequest request)
    {
        _operations++;
        return _machine.Cpus[_cpu].AskUser(Context, request);
    }

    /// <summary>The result of an operation of a task still alive; a killed inspector unwinds.</summary>
    private static UserResult Alive(UserResult result) => result.Killed ? throw new InspectorExited() : result;

    /// <summary>Grows the output list once for <paramref name="lines"/> more lines (within the bound) rather than by doubling as they come.</summary>
    private void ReserveOutput(long lines) =>
        _output.EnsureCapacity((int)Math.Min(OutputLinesMax, _output.Count + Math.Max(0, lines)));

    private void Print(string line)
    {
        if (_output.Count < OutputLinesMax)
        {
            _output.Add(line);
        }
    }

    /// <summary>Most lines an inspector prints into its scenario's output.</summary>
    public const int OutputLinesMax = 100_000;

    /// <summary>
    /// The printed lines of shadow entries, remembered by entry value: the table rarely changes between
    /// ticks and the same entries come back in every schedule of an exploration, so a line is formatted
    /// once, not once per entry per tick. Direct-mapped and bounded (<see cref="Slots"/> lines per thread;
    /// a colliding entry replaces the slot). Strings are immutable, so sharing one between runs changes
    /// nothing anyone can see; thread-static, so no two threads ever share a slot.
    /// </summary>
    internal static class EntryLines
    {
        /// <summary>Lines remembered per thread (a power of two).</summary>
        public const int Slots = 1024;

        /// <summary>Header lines remembered per thread (a power of two): one per tick and target.</summary>
        public const int HeaderSlots = 64;

        [ThreadStatic]
        private static (ShadowPte Entry, string? Line)[]? _lines;

        [ThreadStatic]
        private static (long Tick, int Pid, string? Line)[]? _headers;

        /// <summary>"[tick 3] shadow table of pid 2:", the line before each pass over the table.</summary>
        public static string Header(long tick, int pid)
        {
            (long Tick, int Pid, string? Line)[] headers = _headers ??= new (long, int, string?)[HeaderSlots];
            ref (long Tick, int Pid, string? Line) slot = ref headers[(int)((tick * 7) ^ pid) & (HeaderSlots - 1)];
            if (slot.Line is not null && slot.Tick == tick && slot.Pid == pid)
            {
                return slot.Line;
            }

            string line = string.Create(CultureInfo.InvariantCulture, $"[tick {tick}] shadow table of pid {pid}:");
            slot = (tick, pid, line);
            return line;
        }

        /// <summary>"  0x1000 pfn 0x2a4 [allocated anonymous mapped]": <see cref="Spt.Spt.Describe"/> indented as the inspector prints it.</summary>
        public static string Of(ShadowPte entry)
        {
            (ShadowPte Entry, string? Line)[] lines = _lines ??= new (ShadowPte, string?)[Slots];
            ulong mixed = ((entry.Vaddr >> 12) * 0x9E3779B97F4A7C15UL) ^ (entry.Pfn * 0xC2B2AE3D27D4EB4FUL) ^ entry.StateFlags;
            ref (ShadowPte Entry, string? Line) slot = ref lines[(int)(mixed >> 54) & (Slots - 1)];
            if (slot.Line is not null && slot.Entry == entry)
            {
                return slot.Line;
            }

            string line = "  " + Spt.Spt.Describe(entry);
            slot = (entry, line);
            return line;
        }
    }

    /// <summary>Unwinds the inspector's program when it exits.</summary>
    private sealed class InspectorExited : Exception
    {
    }
}

/// <summary>Asking a CPU to run a user operation.</summary>
public static class CpuRequests
{
    public static AskAwaitable<UserResult> AskUser(this IActorRef cpu, IActorContext context, int pid, UserOp op) =>
        cpu.AskUser(context, new UserRequest(pid, op));

    /// <summary>Asks with a request already made (one sent again and again: requests are immutable).</summary>
    public static AskAwaitable<UserResult> AskUser(this IActorRef cpu, IActorContext context, UserRequest request)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Ask<UserResult>(cpu, request);
    }
}
