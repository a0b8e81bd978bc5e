using System.Diagnostics;

namespace Conductor.Tests.Infrastructure;

/// <summary>
/// Stops and restarts the private Redis that scripts/test.sh started, for outage tests, through
/// scripts/lib.sh (which knows where its password is kept and starts it with requirepass).
/// </summary>
public static class RedisServer
{
    public static async Task StopAsync()
    {
        await LibAsync("conductor_stop_redis \"$CONDUCTOR_REDIS_SERVER_DIR\" \"$CONDUCTOR_REDIS_PORT\"");
        await Eventually.Until(async () => !await PingAsync(), down => down, TimeSpan.FromSeconds(10), "Redis is down");
    }

    public static async Task StartAsync()
    {
        await LibAsync("conductor_start_redis \"$CONDUCTOR_REDIS_SERVER_DIR\" \"$CONDUCTOR_REDIS_PORT\"");
        await Eventually.Until(PingAsync, up => up, TimeSpan.FromSeconds(10), "Redis is up again");
    }

    /// <summary>PING with the services' password (in REDISCLI_AUTH: never on a command line).</summary>
    private static async Task<bool> PingAsync()
    {
        var info = new ProcessStartInfo("redis-cli", ["--no-auth-warning", "-p", TestEnvironment.RedisPort.ToString(), "ping"])
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        };
        if (TestEnvironment.RedisPassword is { } password) info.Environment["REDISCLI_AUTH"] = password;
        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0 && output.Contains("PONG", StringComparison.Ordinal);
    }

    private static async Task LibAsync(string command)
    {
        if (TestEnvironment.RedisDir is null || Environment.GetEnvironmentVariable("CONDUCTOR_REDIS_PORT") is null)
            throw new InvalidOperationException("CONDUCTOR_REDIS_SERVER_DIR / CONDUCTOR_REDIS_PORT are not set: run the tests with scripts/test.sh, which owns a private Redis.");
        var info = new ProcessStartInfo("bash", ["-c", $"source scripts/lib.sh && {command}"])
        {
            WorkingDirectory = TestEnvironment.RepoRoot, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        using var process = Process.Start(info)!;
        var err = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        process.ExitCode.Should().Be(0, await err);
    }
}

/// <summary>Tests that take shared infrastructure down run alone, after the parallel ones.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class OutageCollection
{
    public const string Name = "outages";
}
