using ShadowPt.Scenarios;
using ShadowPt.Scenarios.BuiltIn.Criu;

namespace ShadowPt.Host.Commands;

/// <summary><c>run --image-dir DIR</c>: where the checkpoint scenarios keep their image files.</summary>
internal static class CriuImageOption
{
    /// <summary>Wraps <paramref name="factory"/> so each instance writes its images under <paramref name="directory"/>; checks the directory can be created.</summary>
    public static Func<Scenario> Apply(Func<Scenario> factory, string? directory)
    {
        if (directory is null)
        {
            return factory;
        }

        if (directory.Trim().Length == 0 || directory.Length > 4096)
        {
            throw new UsageException("--image-dir: give a directory path");
        }

        if (factory() is not CriuScenarioBase)
        {
            throw new UsageException("--image-dir applies only to the checkpoint, migrate-precopy and migrate-postcopy scenarios");
        }

        try
        {
            if (File.Exists(directory))
            {
                throw new UsageException($"--image-dir: '{directory}' is a file, not a directory");
            }

            Directory.CreateDirectory(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new UsageException($"--image-dir: cannot create '{directory}': {e.Message}");
        }

        string full = Path.GetFullPath(directory);
        return () =>
        {
            Scenario scenario = factory();
            ((CriuScenarioBase)scenario).ImageDirectory = full;
            return scenario;
        };
    }
}
