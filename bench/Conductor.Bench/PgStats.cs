using Npgsql;

namespace Conductor.Bench;

/// <summary>One statement's cumulative counters in pg_stat_statements (one row per queryid and nesting level).</summary>
public sealed record PgStatement(string Query, bool TopLevel, long Calls, double TotalMs, long Rows,
    long BlocksHit, long BlocksRead, long BlocksDirtied, long WalRecords, long WalFpi, decimal WalBytes);

/// <summary>A table's update and maintenance counters (pg_stat_user_tables).</summary>
public sealed record PgTable(long Updates, long HotUpdates, long Autovacuums, long Autoanalyzes);

/// <summary>
/// PostgreSQL's cumulative counters at one moment, for one scenario's database: its statements
/// (pg_stat_statements; scripts/bench.sh loads it with track=all and creates it in the database
/// "postgres"), its commits (pg_stat_database), its tables' updates and autovacuum runs, and the
/// cluster's WAL (pg_stat_wal). Two snapshots diffed give what a measured run cost
/// (<see cref="PgReport"/>); nothing is reset, so concurrent scenarios could not disturb it.
/// </summary>
public sealed record PgSnapshot(Dictionary<(long QueryId, bool TopLevel), PgStatement> Statements, PgWal Wal,
    long Commits, long Rollbacks, Dictionary<string, PgTable> Tables, string? Unavailable)
{
    /// <summary>Statements the bench itself runs start with this comment, so they are left out of the figures.</summary>
    public const string BenchTag = "/* bench */";

    /// <summary>
    /// The per-backend counters (commits, table updates, WAL writes and syncs) reach the shared
    /// statistics only when a backend flushes them: at once when it goes idle if its last flush is
    /// a second old, else up to 10 s later (PGSTAT_IDLE_INTERVAL, PostgreSQL 15). Waiting that out
    /// before each snapshot charges every counter to the right side. pg_stat_statements itself
    /// is updated as each statement ends.
    /// </summary>
    public static Task SettleAsync() => Task.Delay(TimeSpan.FromSeconds(10.5));

    public static async Task<PgSnapshot> TakeAsync(Stack stack)
    {
        try
        {
            var statements = await StatementsAsync(stack.Database);
            var (wal, commits, rollbacks) = await ClusterAsync(stack.Database);
            var tables = new Dictionary<string, PgTable>();
            await using var cmd = stack.Db.CreateCommand($"""
                {BenchTag} SELECT relname, n_tup_upd, n_tup_hot_upd, autovacuum_count, autoanalyze_count FROM pg_stat_user_tables
                """);
            await using var r = await cmd.ExecuteReaderAsync();
            while (await r.ReadAsync()) tables[r.GetString(0)] = new(r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4));
            return new(statements, wal, commits, rollbacks, tables, null);
        }
        catch (PostgresException e)
        {
            // A server scripts/bench.sh reused rather than started lacks the preload (or the grant).
            return new([], new(0, 0, 0, 0, 0), 0, 0, [], $"pg_stat_statements unavailable: {e.MessageText}");
        }
    }

    /// <summary>Only the statements (always current: pg_stat_statements needs no settling), for a snapshot in the middle of a run.</summary>
    public static async Task<PgSnapshot> TakeStatementsAsync(Stack stack)
    {
        try
        {
            return new(await StatementsAsync(stack.Database), new(0, 0, 0, 0, 0), 0, 0, [], null);
        }
        catch (PostgresException e)
        {
            return new([], new(0, 0, 0, 0, 0), 0, 0, [], $"pg_stat_statements unavailable: {e.MessageText}");
        }
    }

    private static NpgsqlConnection ClusterConnection() =>
        new(new NpgsqlConnectionStringBuilder(Stack.AdminConnectionString) { Database = "postgres", Pooling = false }.ConnectionString);

    private static async Task<Dictionary<(long, bool), PgStatement>> StatementsAsync(string database)
    {
        await using var conn = ClusterConnection();
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("""
            SELECT s.queryid, s.toplevel, s.query, s.calls, s.total_exec_time, s.rows, s.shared_blks_hit, s.shared_blks_read,
                   s.shared_blks_dirtied, s.wal_records, s.wal_fpi, s.wal_bytes
            FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
            WHERE d.datname = $1 AND s.queryid IS NOT NULL
            """, conn);
        cmd.Parameters.AddWithValue(database);
        var result = new Dictionary<(long, bool), PgStatement>();
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync())
            result[(r.GetInt64(0), r.GetBoolean(1))] = new(r.GetString(2), r.GetBoolean(1), r.GetInt64(3), r.GetDouble(4), r.GetInt64(5),
                r.GetInt64(6), r.GetInt64(7), r.GetInt64(8), r.GetInt64(9), r.GetInt64(10), r.GetDecimal(11));
        return result;
    }

    private static async Task<(PgWal, long, long)> ClusterAsync(string database)
    {
        await using var conn = ClusterConnection();
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("""
            SELECT w.wal_records, w.wal_fpi, w.wal_bytes, w.wal_write, w.wal_sync, d.xact_commit, d.xact_rollback
            FROM pg_stat_wal w, pg_stat_database d WHERE d.datname = $1
            """, conn);
        cmd.Parameters.AddWithValue(database);
        await using var r = await cmd.ExecuteReaderAsync();
        if (!await r.ReadAsync()) throw new InvalidOperationException($"no pg_stat_database row for {database}");
        return (new(r.GetInt64(0), r.GetInt64(1), r.GetDecimal(2), r.GetInt64(3), r.GetInt64(4)), r.GetInt64(5), r.GetInt64(6));
    }
}

/// <summary>The cluster's WAL counters (pg_stat_wal): wal_write = write() calls, wal_sync = fsyncs.</summary>
public sealed record PgWal(long Records, long Fpi, decimal Bytes, long Writes, long Syncs);
