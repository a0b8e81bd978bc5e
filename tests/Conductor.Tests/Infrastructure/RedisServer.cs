using System.Diagnostics;

namespace Conductor.Tests.Infrastructure;

/// <summary>Stops and restarts the private Redis that scripts/test.sh started, for outage tests.</summary>
public static class RedisServer
{
    public static async Task StopAsync()
    {
        await RunAsync("redis-cli", "-p", TestEnvironment.RedisPort.ToString(), "shutdown", "nosave");
        await Eventually.Until(async () => !await PingAsync(), down => down, TimeSpan.FromSeconds(10), "Redis is down");
    }

    public static async Task StartAsync()
    {
        var dir = TestEnvironment.RedisDir
            ?? throw new InvalidOperationException("CONDUCTOR_REDIS_SERVER_DIR is not set: run the tests with scripts/test.sh, which owns a private Redis.");
        await RunAsync("redis-server", "--port", TestEnvironment.RedisPort.ToString(), "--bind", "127.0.0.1", "--dir", dir,
            "--save", "", "--appendonly", "no", "--daemonize", "yes", "--pidfile", Path.Combine(dir, "redis.pid"),
            "--logfile", Path.Combine(dir, "redis.log"));
        await Eventually.Until(PingAsync, up => up, TimeSpan.FromSeconds(10), "Redis is up again");
    }

    private static async Task<bool> PingAsync()
    {
        var (code, output) = await RunAsync("redis-cli", "-p", TestEnvironment.RedisPort.ToString(), "ping");
        return code == 0 && output.Contains("PONG", StringComparison.Ordinal);
    }

    private static async Task<(int Code, string Output)> RunAsync(string file, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, output);
    }
}

/// <summary>Tests that take shared infrastructure down run alone, after the parallel ones.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class OutageCollection
{
    public const string Name = "outages";
}
