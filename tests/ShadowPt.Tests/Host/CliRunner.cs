using ShadowPt.Host;

namespace ShadowPt.Tests.Host;

/// <summary>Runs the shadowpt command line in-process, capturing its output.</summary>
internal static class CliRunner
{
    public static (int Exit, string Out, string Err) Run(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        int exit = Cli.Run(args, stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    /// <summary>The value of the <c>key: value</c> line of a summary.</summary>
    public static string Field(string output, string key)
    {
        string prefix = key + ": ";
        return output.Split('\n').Select(l => l.TrimEnd('\r')).Single(l => l.StartsWith(prefix, StringComparison.Ordinal))[prefix.Length..];
    }

    public static string[] Lines(string output) => output.TrimEnd('\n').Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
}

/// <summary>A temporary directory removed after the test.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "shadowpt-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
