using Npgsql;

namespace Conductor.Tests.Infrastructure;

/// <summary>
/// Where the real PostgreSQL and Redis started by scripts/test.sh live. The same variables as
/// the services (ConnectionStrings__Postgres / ConnectionStrings__Redis); the defaults are
/// test.sh's private ports. Under test.sh both strings carry passwords: PostgreSQL's names the
/// non-superuser service role, which there (only) may create databases, so it is also the
/// "admin" string the tests create their per-class databases with.
/// </summary>
public static class TestEnvironment
{
    /// <summary>The role that may CREATE DATABASE: under test.sh the service role (CREATEDB, not superuser).</summary>
    public static string AdminConnectionString =>
        Environment.GetEnvironmentVariable("ConnectionStrings__Postgres") ?? "Host=127.0.0.1;Port=25433;Username=conductor;Database=conductor";

    public static string Redis => Environment.GetEnvironmentVariable("ConnectionStrings__Redis") ?? "127.0.0.1:26380";

    /// <summary>The Redis password of <see cref="Redis"/> (null without one): for redis-cli, in REDISCLI_AUTH.</summary>
    public static string? RedisPassword => StackExchange.Redis.ConfigurationOptions.Parse(Redis).Password;

    /// <summary>
    /// scripts/test.sh sets CONDUCTOR_SERVICES_PROTECTED=1 when PostgreSQL and Redis are its own
    /// password-protected servers. Tests about the services' credentials require it: against a
    /// trust server they would prove nothing.
    /// </summary>
    public static bool ServicesProtected => Environment.GetEnvironmentVariable("CONDUCTOR_SERVICES_PROTECTED") == "1";

    /// <summary>test.sh's secrets directory (.data/test/secrets), when it owns the servers.</summary>
    public static string? SecretsDir => Environment.GetEnvironmentVariable("CONDUCTOR_TEST_SECRETS_DIR");

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
