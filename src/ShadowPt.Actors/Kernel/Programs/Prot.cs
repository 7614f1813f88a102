namespace ShadowPt.Kernel.Programs;

/// <summary>Access a mapping allows: the <c>prot</c> argument of mmap and mprotect.</summary>
[Flags]
public enum Prot
{
    /// <summary>PROT_NONE: every access faults.</summary>
    None = 0,

    /// <summary>PROT_READ.</summary>
    Read = 1,

    /// <summary>PROT_WRITE.</summary>
    Write = 2,

    /// <summary>PROT_EXEC.</summary>
    Exec = 4,

    /// <summary>PROT_READ | PROT_WRITE.</summary>
    ReadWrite = Read | Write,
}
