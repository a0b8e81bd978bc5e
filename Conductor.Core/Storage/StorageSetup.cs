using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Conductor.Core.Storage;

public static class StorageSetup
{
    /// <summary>The private instance that scripts/run.sh starts when nothing else is configured.</summary>
    public const string DefaultConnectionString = "Host=127.0.0.1;Port=25432;Username=conductor;Database=conductor";

    public static void Configure(DbContextOptionsBuilder options, string connectionString) =>
        options.UseNpgsql(connectionString, npgsql => npgsql.EnableRetryOnFailure(0))
            .UseSnakeCaseNamingConvention();

    /// <summary>
    /// Registers the EF Core context (pooled), a shared <see cref="NpgsqlDataSource"/> for the
    /// hot-path SQL, and the stores. Dependencies point inward: callers pass the connection string.
    /// </summary>
    public static IServiceCollection AddConductorStorage(this IServiceCollection services, string? connectionString)
    {
        var cs = string.IsNullOrWhiteSpace(connectionString) ? DefaultConnectionString : connectionString;
        var builder = new NpgsqlConnectionStringBuilder(cs);
        // Fail fast on a dead server instead of hanging; callers retry with backoff.
        if (builder.Timeout == 15) builder.Timeout = 5;
        // The hot paths (submit, claim, record, finish) repeat the same few statements for every
        // job: let Npgsql prepare them on each connection, so PostgreSQL plans each once instead
        // of on every execution. An explicit setting in the connection string wins.
        if (builder.MaxAutoPrepare == 0) builder.MaxAutoPrepare = 64;
        // Our sessions carry no state to reset: locks are transaction-scoped (pg_advisory_xact_lock),
        // settings are SET LOCAL, and there are no LISTENs or temporary tables. Without this, every
        // connection handed back to the pool makes the next statement carry seven more (DISCARD ...,
        // RESET ALL, UNLISTEN *, pg_advisory_unlock_all()) — four times per job on the worker.
        builder.NoResetOnClose = true;
        cs = builder.ConnectionString;
        var dataSource = NpgsqlDataSource.Create(cs);
        services.AddSingleton(dataSource);
        services.AddPooledDbContextFactory<ConductorDbContext>(o => o.UseNpgsql(dataSource).UseSnakeCaseNamingConvention());
        services.AddSingleton<JobStore>();
        services.AddSingleton<NodeStore>();
        services.AddSingleton<UsageStore>();
        services.AddSingleton<Nodes.NodeReaper>();
        services.AddSingleton<ScheduleStore>();
        services.AddSingleton<TokenStore>();
        services.AddSingleton<AccountUserStore>();
        return services;
    }

    public static async Task MigrateAsync(this IDbContextFactory<ConductorDbContext> factory, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        await db.Database.MigrateAsync(ct);
    }
}
