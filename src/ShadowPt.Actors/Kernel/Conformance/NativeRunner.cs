using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ShadowPt.Kernel.Programs;

namespace ShadowPt.Kernel.Conformance;

/// <summary>
/// Runs process programs on the real Linux kernel: generates a C program per process program
/// (<see cref="NativeProgramGenerator"/>), compiles it with gcc once per content hash, runs it with
/// a timeout and parses what it printed into observations.
/// </summary>
/// <remarks>
/// Needs Linux, a C compiler and CAP_SYS_ADMIN (pagemap shows pfns only to it). Every failure is a
/// <see cref="NativeRunnerException"/> whose message says what to fix.
/// </remarks>
public sealed class NativeRunner : IProgramRunner
{
    /// <summary>Compiler flags; part of the cache key.</summary>
    internal const string CompilerFlags = "-std=gnu11 -O2 -Wall -Wextra -fno-stack-protector -Wl,-z,now";

    /// <summary>Characters of stdout kept from one run; more is an error.</summary>
    private const int OutputCharsMax = 16 << 20;

    /// <summary>Characters of stderr kept for messages.</summary>
    private const int ErrorCharsMax = 64 << 10;

    /// <summary>Hex digits of the content hash that name a cache folder.</summary>
    private const int HashDigits = 24;

    /// <summary>How the native runtime is configured; glibc's rseq area would let the kernel fault on our behalf.</summary>
    private static readonly (string Name, string Value)[] RunEnvironment =
    [
        ("GLIBC_TUNABLES", "glibc.pthread.rseq=0"),
        ("LC_ALL", "C"),
    ];

    /// <summary>Makes temporary file names unique within this process.</summary>
    private static int temporaryCounter;

    /// <summary>Compiler, cache and timeouts.</summary>
    private readonly NativeRunnerOptions options;

    public NativeRunner(NativeRunnerOptions? options = null)
    {
        this.options = options ?? new NativeRunnerOptions();
        this.options.Validate();
    }

    /// <summary>Observations from this runner carry the source <c>linux</c>.</summary>
    public string Source => "linux";

    /// <summary>Compiles (or finds in the cache) and runs <paramref name="program"/>, returning its observations.</summary>
    public ProgramObservations Run(ProcessProgram program)
    {
        ArgumentNullException.ThrowIfNull(program);
        string binary = Compile(program);
        string output = Execute(program, binary);
        return NativeOutputParser.Parse(program, output, Source);
    }

    /// <summary>The path of the compiled program, compiling it unless the cache has it.</summary>
    public string Compile(ProcessProgram program)
    {
        ArgumentNullException.ThrowIfNull(program);
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("the native conformance runner needs Linux");
        }

        string source = NativeProgramGenerator.Generate(program);
        string hash = ContentHash(source);
        string folder = Path.Combine(PrepareCache(), hash);
        string binary = Path.Combine(folder, "program");
        if (File.Exists(binary))
        {
            return binary;
        }

        // Other test runs may compile the same program at the same time: each writes and compiles
        // its own temporary files and only renames finished ones into place, which is atomic.
        Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        int counter = Interlocked.Increment(ref temporaryCounter);
        string temporary = Path.Combine(
            folder, string.Create(CultureInfo.InvariantCulture, $"program.tmp.{Environment.ProcessId}.{counter}"));
        string temporarySource = temporary + ".c";
        File.WriteAllText(temporarySource, source);
        var arguments = new List<string>(CompilerFlags.Split(' ')) { "-o", temporary, temporarySource };
        (int exitCode, string stdout, string stderr) = RunProcess(
            options.CompilerPath, arguments, [], options.CompileTimeout, $"compiling '{program.Name}'");
        if (exitCode != 0 || !File.Exists(temporary))
        {
            throw new NativeRunnerException(
                $"{options.CompilerPath} failed to compile '{program.Name}' (exit {exitCode}); source kept at {temporarySource}:\n{stdout}{stderr}");
        }

        File.Move(temporarySource, Path.Combine(folder, "program.c"), overwrite: true);
        File.Move(temporary, binary, overwrite: true);
        return binary;
    }

    /// <summary>The content hash that names the cache folder of a source.</summary>
    internal string ContentHash(string source)
    {
        string key = string.Join('\n', source, CompilerFlags, options.CompilerPath);
        byte[] digest = SHA256.HashData(Encoding.UTF8.GetBytes(key));
        return Convert.ToHexStringLower(digest)[..HashDigits];
    }

    private string Execute(ProcessProgram program, string binary)
    {
        (int exitCode, string stdout, string stderr) = RunProcess(
            binary, [], RunEnvironment, options.RunTimeout, $"running '{program.Name}'");
        if (exitCode != 0)
        {
            string failure = string.Join(
                "; ", stdout.Split('\n').Where(l => l.StartsWith("X ", StringComparison.Ordinal)).Select(l => l[2..]));
            throw new NativeRunnerException(
                $"native program '{program.Name}' exited with code {exitCode}{(failure.Length > 0 ? ": " + failure : "")}{(stderr.Length > 0 ? "\n" + stderr : "")}");
        }

        return stdout;
    }

    /// <summary>Creates the cache folder for this user only, and refuses one that others can write.</summary>
    private string PrepareCache()
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("the native conformance runner needs Linux");
        }

        string root = options.CacheDirectory;
        Directory.CreateDirectory(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        UnixFileMode mode = File.GetUnixFileMode(root);
        if ((mode & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
        {
            throw new NativeRunnerException(
                $"conformance cache {root} is writable by other users; the runner executes what it finds there, so fix its mode (chmod 700)");
        }

        return root;
    }

    /// <summary>Runs a program with a timeout, killing its whole tree when it is exceeded.</summary>
    internal static (int ExitCode, string Stdout, string Stderr) RunProcess(
        string file, IReadOnlyList<string> arguments, IReadOnlyList<(string Name, string Value)> environment, TimeSpan timeout, string what)
    {
        var start = new ProcessStartInfo(file)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach ((string name, string value) in environment)
        {
            start.Environment[name] = value;
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new NativeRunnerException($"{what}: {file} did not start");
        }
        catch (Win32Exception e)
        {
            throw new NativeRunnerException(
                $"{what}: cannot start {file} ({e.Message}); the native conformance runner needs a C compiler such as gcc on PATH", e);
        }

        using (process)
        {
            process.StandardInput.Close();
            Task<(string Text, bool Truncated)> stdout = ReadBoundedAsync(process.StandardOutput, OutputCharsMax);
            Task<(string Text, bool Truncated)> stderr = ReadBoundedAsync(process.StandardError, ErrorCharsMax);
            if (!process.WaitForExit(timeout))
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(timeout);
                throw new NativeRunnerException(
                    $"{what}: no result after {timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s; the process tree was killed");
            }

            if (!Task.WaitAll([stdout, stderr], timeout))
            {
                throw new NativeRunnerException($"{what}: the output stayed open after the process exited");
            }

            if (stdout.Result.Truncated)
            {
                throw new NativeRunnerException($"{what}: more than {OutputCharsMax} characters of output");
            }

            return (process.ExitCode, stdout.Result.Text, stderr.Result.Text);
        }
    }

    /// <summary>Reads a stream to its end, keeping at most <paramref name="charsMax"/> characters.</summary>
    private static async Task<(string Text, bool Truncated)> ReadBoundedAsync(StreamReader reader, int charsMax)
    {
        const int ChunkChars = 16 << 10;
        var text = new StringBuilder();
        char[] buffer = new char[ChunkChars];
        bool truncated = false;

        // Ends at end of stream: the process exits or is killed when the run times out.
        while (true)
        {
            int n = await reader.ReadAsync(buffer.AsMemory()).ConfigureAwait(false);
            if (n == 0)
            {
                return (text.ToString(), truncated);
            }

            int keep = Math.Min(n, charsMax - text.Length);
            text.Append(buffer, 0, keep);
            truncated |= keep < n;
        }
    }
}
