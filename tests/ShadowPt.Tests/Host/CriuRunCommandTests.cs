namespace ShadowPt.Tests.Host;

public sealed class CriuRunCommandTests
{
    [Fact]
    public void Run_checkpoint_writes_the_images_to_the_directory_named_and_prints_the_report()
    {
        using var dir = new TempDir();
        var (exit, output, _) = CliRunner.Run("run", "checkpoint", "--image-dir", dir.Path);
        Assert.Equal(0, exit);
        Assert.Contains("memory equal to the source at freeze", output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(dir.Path, "1", "inventory.json")));
        Assert.True(File.Exists(Path.Combine(dir.Path, "4", "pages-1.img")));
        Assert.Contains("\"parent\": \"3\"", File.ReadAllText(Path.Combine(dir.Path, "4", "inventory.json")), StringComparison.Ordinal);
    }

    [Fact]
    public void Run_migrate_precopy_prints_pages_per_round_and_the_freeze_time()
    {
        var (exit, output, _) = CliRunner.Run("run", "migrate-precopy");
        Assert.Equal(0, exit);
        Assert.Contains("migration (pre-copy): pages sent per round: 64, ", output, StringComparison.Ordinal);
        Assert.Contains("freeze time ", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_migrate_postcopy_prints_the_freeze_time_and_the_pages_on_demand_and_pushed()
    {
        var (exit, output, _) = CliRunner.Run("run", "migrate-postcopy");
        Assert.Equal(0, exit);
        Assert.Contains("migration (post-copy): pages sent at freeze: 0; after the resume: 64; total: 64", output, StringComparison.Ordinal);
        Assert.Contains("fetched on demand: ", output, StringComparison.Ordinal);
        Assert.Contains("destination memory at the end equal to the source at freeze", output, StringComparison.Ordinal);
    }

    [Fact]
    public void An_image_dir_for_another_scenario_or_on_a_file_is_bad_input()
    {
        var (exit, _, err) = CliRunner.Run("run", "pingpong", "--image-dir", Path.GetTempPath());
        Assert.Equal(2, exit);
        Assert.Contains("--image-dir applies only to the checkpoint, migrate-precopy and migrate-postcopy scenarios", err, StringComparison.Ordinal);
        using var dir = new TempDir();
        File.WriteAllText(dir.File("f"), "x");
        (exit, _, err) = CliRunner.Run("run", "checkpoint", "--image-dir", dir.File("f"));
        Assert.Equal(2, exit);
        Assert.Contains("is a file, not a directory", err, StringComparison.Ordinal);
    }
}
