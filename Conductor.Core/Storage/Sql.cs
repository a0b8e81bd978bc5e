using Npgsql;
using NpgsqlTypes;

namespace Conductor.Core.Storage;

/// <summary>Small helpers for the hand-written hot-path statements.</summary>
internal static class Sql
{
    public static NpgsqlCommand Command(this NpgsqlConnection conn, string text, params (string Name, NpgsqlDbType Type, object? Value)[] args)
    {
        var cmd = new NpgsqlCommand(text, conn);
        foreach (var (name, type, value) in args)
            cmd.Parameters.Add(new NpgsqlParameter(name, type) { Value = value ?? DBNull.Value });
        return cmd;
    }

    public static NpgsqlBatchCommand Batched(string text, params (string Name, NpgsqlDbType Type, object? Value)[] args)
    {
        var cmd = new NpgsqlBatchCommand(text);
        foreach (var (name, type, value) in args)
            cmd.Parameters.Add(new NpgsqlParameter(name, type) { Value = value ?? DBNull.Value });
        return cmd;
    }

    /// <summary>
    /// First in a batch (or transaction) whose statements take their rows from array parameters
    /// (unnest): plans them once per connection instead of at every execution. PostgreSQL keeps
    /// re-planning such a prepared statement for each call, because the generic plan, costed for
    /// an array of unknown length, never looks cheaper than a custom plan costed for the actual one;
    /// the re-plan took 0.3-0.5 ms of the server per submit batch and per finish. The setting is
    /// local: it ends with the transaction, which for a batch without one is the batch itself.
    /// The result is one row, which the reader skips.
    /// </summary>
    public static NpgsqlBatchCommand GenericPlans() => new("SELECT set_config('plan_cache_mode', 'force_generic_plan', true)");

    /// <summary>
    /// <see cref="GenericPlans"/> for statements that find every row they touch by key (a job's
    /// id, a node's active allocations): no sequential scans, hash or merge joins either, likewise
    /// local. A generic plan assumes 10 rows from each array, and on tables of a few thousand
    /// rows (a young installation, a benchmark) that made every finish and every claim hash-join
    /// a sequential scan of the whole jobs and allocations tables: a cost per job that grew with
    /// the tables until the next ANALYZE re-planned them. Index lookups are right at any size.
    /// </summary>
    public static NpgsqlBatchCommand KeyedPlans() => new("""
        SELECT set_config('plan_cache_mode', 'force_generic_plan', true), set_config('enable_seqscan', 'off', true),
               set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true)
        """);

    public static (string, NpgsqlDbType, object?) P(string name, NpgsqlDbType type, object? value) => (name, type, value);
}
