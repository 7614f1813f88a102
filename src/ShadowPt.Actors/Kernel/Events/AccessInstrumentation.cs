namespace ShadowPt.Kernel;

/// <summary>
/// The compiler instrumentation of KCSAN, for the model: the few places that touch shared words which
/// matter for data races (the shadow table's entries, PTEs) report each access here, and it raises
/// <see cref="KernelObserver.MemoryAccessed"/> with the CPU, task and kernel function of the memory
/// operation that made it. Installed on the machine's <see cref="FrameAllocator"/> only when a race
/// checker runs; without it the model pays one null test per instrumented access.
/// </summary>
/// <remarks>
/// What is reported: kernel stores to shadow-table words (marked as their writer marks them), kernel
/// PTE stores (set_pte_at is WRITE_ONCE and the PTE lock serialises kernel writers: reported as
/// <see cref="AccessMarking.MarkedExclusiveWriter"/>), and user loads and stores that reach a kernel
/// frame (the inspector reading its mapped table). Not reported: the hardware walker's accessed/dirty
/// updates (a locked read-modify-write, and only of bits no kernel writer owns), and PTE reads (ptep_get
/// is READ_ONCE and the walker's reads are atomic, so under KCSAN's rules they cannot race with a marked
/// write).
/// </remarks>
public sealed class AccessInstrumentation
{
    /// <summary>The kernel state whose running memory operation names who accesses.</summary>
    private readonly KernelState _state;

    /// <summary>Where the accesses go.</summary>
    private readonly KernelEvents _events;

    /// <summary>Nesting of hardware updates in progress (<see cref="PageTable.SetPteAccessFlags"/>): their PTE stores are not kernel stores.</summary>
    private int _hardwareDepth;

    private AccessInstrumentation(KernelState state, KernelEvents events)
    {
        _state = state;
        _events = events;
    }

    /// <summary>Installs the instrumentation on <paramref name="state"/>'s memory (once; a second call returns the first).</summary>
    public static AccessInstrumentation Install(KernelState state, KernelEvents events)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(events);
        state.Frames.Instrumentation ??= new AccessInstrumentation(state, events);
        return state.Frames.Instrumentation;
    }

    /// <summary>A kernel store of the 8-byte word at <paramref name="offset"/> of kernel frame <paramref name="frame"/>, before it happens.</summary>
    public void KernelStore(Pfn frame, int offset, AccessMarking marking, ulong value)
    {
        if (!_state.Frames.IsAllocated(frame))
        {
            return; // a store to a freed frame is a use after free, which the frame allocator reports
        }

        ulong old = _state.Frames.PeekU64(frame, offset);
        Report(AccessSpace.KernelWord, frame, offset, sizeof(ulong), true, marking, old, value, default);
    }

    /// <summary>A kernel store to PTE <paramref name="index"/> of the PTE page in <paramref name="table"/>.</summary>
    public void PteStore(Pfn table, int index, ulong old, ulong value)
    {
        if (_hardwareDepth == 0 && _state.Frames.IsAllocated(table))
        {
            Report(AccessSpace.Pte, table, index * sizeof(ulong), sizeof(ulong), true, AccessMarking.MarkedExclusiveWriter, old, value, default);
        }
    }

    /// <summary>
    /// A user access of <paramref name="size"/> bytes at <paramref name="offset"/> of <paramref name="frame"/>,
    /// before it happens; reported only when the frame is kernel memory mapped to user space. An aligned
    /// 8-byte access is one instruction and counts as marked; a byte access of a word is plain.
    /// </summary>
    public void UserAccess(Pfn frame, int offset, int size, bool write, ulong value, VirtAddr address)
    {
        FrameAllocator frames = _state.Frames;
        if (!frames.InRange(frame) || frames.Kind(frame) != FrameKind.Kernel)
        {
            return;
        }

        int word = offset & ~(sizeof(ulong) - 1);
        ulong old = frames.PeekU64(frame, word);
        AccessMarking marking = size == sizeof(ulong) ? AccessMarking.Marked : AccessMarking.Plain;
        Report(AccessSpace.User, frame, offset, size, write, marking, old, write ? value : old, address);
    }

    /// <summary>PTE stores from here to <see cref="ExitHardware"/> are the page walker's accessed/dirty updates, not kernel stores.</summary>
    internal void EnterHardware() => _hardwareDepth++;

    internal void ExitHardware()
    {
        Bug.On(_hardwareDepth == 0, "hardware update ended twice");
        _hardwareDepth--;
    }

    private void Report(AccessSpace space, Pfn frame, int offset, int size, bool write, AccessMarking marking, ulong old, ulong value, VirtAddr address)
    {
        if (_state.CurrentOp is not { Cpu: CpuId cpu } op)
        {
            return; // not a kernel path's memory operation (a test or checker reading state)
        }

        var access = new MemoryAccess(cpu, op.Pid, op.What, space, frame, offset, size, write, marking, old, value, _state.Frames.Generation(frame), address, _state.Step);
        _events.Raise(in access, static (o, in a) => o.MemoryAccessed(in a));
    }
}
