using Npgsql;

namespace Conductor.Tests.Infrastructure;

/// <summary>
/// Where the real PostgreSQL and Redis started by scripts/test.sh live. The same variables as
/// the services (ConnectionStrings__Postgres / ConnectionStrings__Redis); the defaults are
/// test.sh's private ports.
/// </summary>
public static class TestEnvironment
{
    public static string AdminConnectionString =>
        Environment.GetEnvironmentVariable("ConnectionStrings__Postgres") ?? "Host=127.0.0.1;Port=25433;Username=conductor;Database=conductor";

    public static string Redis => Environment.GetEnvironmentVariable("ConnectionStrings__Redis") ?? "127.0.0.1:26380";

    public static int RedisPort => int.Parse(Environment.GetEnvironmentVariable("CONDUCTOR_REDIS_PORT") ?? "26380");

    public static string? RedisDir => Environment.GetEnvironmentVariable("CONDUCTOR_REDIS_SERVER_DIR");

    public static string ConnectionStringFor(string database) =>
        new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = database, Pooling = true, MaxPoolSize = 30 }.ConnectionString;

    /// <summary>The repository root (where Conductor.sln lives).</summary>
    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Conductor.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("Conductor.sln not found above the test binaries.");
        }
    }

    /// <summary>The build configuration the tests were built with (Release under test.sh).</summary>
    public static string Configuration => AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";

    public static string WorkerDll => Path.Combine(RepoRoot, "Conductor.Worker", "bin", Configuration, "net10.0", "Conductor.Worker.dll");

    public static string NewScratchDir(string prefix)
    {
        var dir = Path.Combine(RepoRoot, ".data", "test-runs", $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        // Jobs run as the unprivileged conductor-job user, and tests use the scratch dir as a side
        // channel (markers a job writes): writable by all, sticky like /tmp.
        File.SetUnixFileMode(dir, (UnixFileMode)0b1_111_111_111);
        return dir;
    }
}
