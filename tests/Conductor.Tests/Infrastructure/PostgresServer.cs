using System.Diagnostics;

namespace Conductor.Tests.Infrastructure;

/// <summary>Stops and starts the private PostgreSQL of scripts/test.sh (through scripts/lib.sh).</summary>
public static class PostgresServer
{
    public static Task StopAsync() => LibAsync("conductor_stop_postgres \"$CONDUCTOR_PG_DIR\"");

    public static async Task StartAsync()
    {
        await LibAsync("conductor_start_postgres \"$CONDUCTOR_PG_DIR\" \"$CONDUCTOR_PG_PORT\" \"$CONDUCTOR_PG_OPTIONS\"");
        Npgsql.NpgsqlConnection.ClearAllPools(); // the test's own pooled connections died with the old server
    }

    private static async Task LibAsync(string command)
    {
        if (Environment.GetEnvironmentVariable("CONDUCTOR_PG_DIR") is null)
            throw new InvalidOperationException("CONDUCTOR_PG_DIR is not set: run the tests with scripts/test.sh, which owns a private PostgreSQL.");
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
