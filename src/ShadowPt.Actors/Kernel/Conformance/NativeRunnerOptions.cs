namespace ShadowPt.Kernel.Conformance;

/// <summary>How the native runner compiles and runs programs.</summary>
public sealed record NativeRunnerOptions
{
    /// <summary>The C compiler, found on PATH unless a path is given.</summary>
    public string CompilerPath { get; init; } = "gcc";

    /// <summary>
    /// Where compiled programs are kept, one folder per content hash. Defaults to
    /// <c>$XDG_CACHE_HOME/shadowpt/conformance</c> (or <c>~/.cache/...</c>): a folder only its
    /// user can write, since the runner executes what it finds there.
    /// </summary>
    public string CacheDirectory { get; init; } = DefaultCacheDirectory();

    /// <summary>Longest a compile may take.</summary>
    public TimeSpan CompileTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Longest one run of a program may take; the whole process tree is killed after it.</summary>
    public TimeSpan RunTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Throws when an option is unusable.</summary>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(CompilerPath);
        ArgumentException.ThrowIfNullOrWhiteSpace(CacheDirectory);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(CompileTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RunTimeout, TimeSpan.Zero);
    }

    private static string DefaultCacheDirectory()
    {
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        string root = !string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg) ? xdg
            : !string.IsNullOrEmpty(home) ? Path.Combine(home, ".cache")
            : Path.Combine(Path.GetTempPath(), "shadowpt-" + Environment.UserName);
        return Path.Combine(root, "shadowpt", "conformance");
    }
}
