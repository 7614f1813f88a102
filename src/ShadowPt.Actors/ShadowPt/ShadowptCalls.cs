using ShadowPt.Kernel;

namespace ShadowPt.Spt;

/// <summary>long shadowpt_open(pid_t target, struct user_shadow_pt *dest) — syscall 462.</summary>
public sealed record ShadowptOpenCall(int Target, VirtAddr Dest) : Syscall
{
    public override string Name => "shadowpt_open";
}

/// <summary>long shadowpt_close(void) — syscall 463.</summary>
public sealed record ShadowptCloseCall : Syscall
{
    public override string Name => "shadowpt_close";
}

/// <summary>long shadowpt_start(void) — syscall 464.</summary>
public sealed record ShadowptStartCall : Syscall
{
    public override string Name => "shadowpt_start";
}

/// <summary>long shadowpt_stop(void) — syscall 465.</summary>
public sealed record ShadowptStopCall : Syscall
{
    public override string Name => "shadowpt_stop";
}

/// <summary>long shadowpt_page_contents(unsigned long pfn, void __user *buffer) — syscall 466.</summary>
public sealed record ShadowptPageContentsCall(ulong Pfn, VirtAddr Buffer) : Syscall
{
    public override string Name => "shadowpt_page_contents";
}
