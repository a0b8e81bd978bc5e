// Compiled into both Conductor.Api and Conductor.Worker (linked source) so the two
// services log the same way without Core knowing about Serilog.
using Microsoft.Extensions.Configuration;
using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace Conductor.Hosting;

internal static class ConductorLogging
{
    /// <summary>
    /// Serilog with <c>LOG_LEVEL</c> (Verbose..Fatal, default Information) and <c>LOG_FORMAT=json</c>
    /// for one compact JSON object per line; plain text otherwise.
    /// </summary>
    public static LoggerConfiguration Configure(LoggerConfiguration logger, IConfiguration config, string service)
    {
        var level = Enum.TryParse<LogEventLevel>(config["LOG_LEVEL"], ignoreCase: true, out var parsed) ? parsed : LogEventLevel.Information;
        logger.MinimumLevel.Is(level)
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .MinimumLevel.Override("Microsoft.Hosting.Lifetime", LogEventLevel.Information)
            .MinimumLevel.Override("Microsoft.EntityFrameworkCore", LogEventLevel.Warning)
            .Enrich.FromLogContext()
            .Enrich.WithProperty("Service", service);
        return string.Equals(config["LOG_FORMAT"], "json", StringComparison.OrdinalIgnoreCase)
            ? logger.WriteTo.Console(new CompactJsonFormatter())
            : logger.WriteTo.Console(outputTemplate: "[{Timestamp:HH:mm:ss.fff} {Level:u3}] {Message:lj} {Properties:j}{NewLine}{Exception}");
    }
}
