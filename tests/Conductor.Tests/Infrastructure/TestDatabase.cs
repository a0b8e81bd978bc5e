using Conductor.Core.Storage;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Conductor.Tests.Infrastructure;

/// <summary>
/// A fresh, migrated database per test class, dropped at the end. Created (and so owned) by the
/// role of <see cref="TestEnvironment.AdminConnectionString"/>: under scripts/test.sh the
/// services' non-superuser role, which there has CREATEDB for this.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    public string Name { get; } = $"conductor_t_{Guid.NewGuid():N}"[..28];
    public string ConnectionString => TestEnvironment.ConnectionStringFor(Name);

    public static async Task<TestDatabase> CreateAsync()
    {
        var db = new TestDatabase();
        await using (var admin = new NpgsqlConnection(TestEnvironment.AdminConnectionString))
        {
            await admin.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {db.Name}", admin);
            await cmd.ExecuteNonQueryAsync();
        }
        var options = new DbContextOptionsBuilder<ConductorDbContext>();
        StorageSetup.Configure(options, db.ConnectionString);
        await using var ctx = new ConductorDbContext(options.Options);
        await ctx.Database.MigrateAsync();
        return db;
    }

    public ConductorDbContext Context()
    {
        var options = new DbContextOptionsBuilder<ConductorDbContext>();
        StorageSetup.Configure(options, ConnectionString);
        return new ConductorDbContext(options.Options);
    }

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var conn = new NpgsqlConnection(ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        return (T)(await cmd.ExecuteScalarAsync())!;
    }

    public async Task ExecuteAsync(string sql)
    {
        await using var conn = new NpgsqlConnection(ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        try
        {
            await using var admin = new NpgsqlConnection(TestEnvironment.AdminConnectionString);
            await admin.OpenAsync();
            await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)", admin);
            await cmd.ExecuteNonQueryAsync();
        }
        catch (NpgsqlException)
        {
            // Best effort: a leftover test database does no harm to the next run.
        }
    }
}
