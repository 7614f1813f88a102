using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Events;
using Serilog.Extensions.Logging;

namespace ShadowPt.Host;

/// <summary>
/// Logging through Microsoft.Extensions.Logging with Serilog, levels from config/appsettings.json.
/// Lines go to standard error with no timestamp: deterministic runs log steps and ticks only, so
/// two runs' logs diff clean.
/// </summary>
internal static class Logging
{
    /// <summary>Levels accepted by --log-level.</summary>
    public static readonly string[] LevelNames = ["error", "warning", "info", "debug"];

    /// <summary>config/appsettings.json next to the program (optional).</summary>
    public static IConfiguration Configuration() => new ConfigurationBuilder()
        .SetBasePath(AppContext.BaseDirectory)
        .AddJsonFile(Path.Combine("config", "appsettings.json"), optional: true)
        .Build();

    public static ILoggerFactory Create(string? levelOverride)
    {
        IConfiguration configuration = Configuration();
        var serilog = new LoggerConfiguration().ReadFrom.Configuration(configuration);
        if (levelOverride is not null)
        {
            LogEventLevel level = Parse(levelOverride);
            serilog.MinimumLevel.Is(level).MinimumLevel.Override("ShadowPt", level);
        }

        if (!configuration.GetSection("Serilog:WriteTo").Exists())
        {
            serilog.WriteTo.Console(outputTemplate: "{Message:lj}{NewLine}{Exception}", standardErrorFromLevel: LogEventLevel.Verbose, formatProvider: System.Globalization.CultureInfo.InvariantCulture);
        }

        return new SerilogLoggerFactory(serilog.CreateLogger(), dispose: true);
    }

    private static LogEventLevel Parse(string level) => level switch
    {
        "error" => LogEventLevel.Error,
        "warning" => LogEventLevel.Warning,
        "info" => LogEventLevel.Information,
        "debug" => LogEventLevel.Debug,
        _ => throw new UsageException($"--log-level must be one of: {string.Join(", ", LevelNames)}"),
    };
}
