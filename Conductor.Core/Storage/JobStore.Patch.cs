using Conductor.Core.Jobs;
using Npgsql;
using NpgsqlTypes;
using static Conductor.Core.Storage.Sql;

namespace Conductor.Core.Storage;

/// <summary>
/// The fields of a PENDING job an edit changes (null = unchanged): the validated values as a
/// submit would store them. <see cref="Changes"/> is one line per field for the job's events.
/// </summary>
public sealed record JobPatch
{
    public string? Name { get; init; }
    public int? Priority { get; init; }
    public bool SetsTimeLimit { get; init; }
    public int? TimeLimitSeconds { get; init; }
    public string? Partition { get; init; }
    public int? NtasksPerNode { get; init; }
    public int? CpusPerTask { get; init; }
    public long? MemoryMb { get; init; }
    public bool SetsDependency { get; init; }
    public string? Dependency { get; init; }
    public IReadOnlyList<(string Kind, long JobId)> Dependencies { get; init; } = [];
    public bool SetsBeginTime { get; init; }
    public DateTime? BeginTime { get; init; }
    public IReadOnlyList<string> Changes { get; init; } = [];
}

public sealed partial class JobStore
{
    /// <summary>
    /// Applies an edit to a job that is still PENDING, in one transaction: the row (locked, so a
    /// claim cannot start it halfway), its dependency edges when they change, and one event row
    /// per changed field (PENDING → PENDING, reason Updated, the change and who made it).
    /// </summary>
    /// <returns>False when the job is no longer PENDING (a claim got it first).</returns>
    public async Task<bool> UpdatePendingAsync(long jobId, JobPatch patch, string by, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await using (var update = conn.Command("""
            UPDATE jobs SET
                name = COALESCE(@name, name), priority = COALESCE(@prio, priority),
                time_limit_seconds = CASE WHEN @set_tl THEN @tl ELSE time_limit_seconds END,
                partition = COALESCE(@part, partition),
                ntasks_per_node = COALESCE(@ntasks, ntasks_per_node), cpus_per_task = COALESCE(@cpt, cpus_per_task),
                cpus = COALESCE(@ntasks, ntasks_per_node) * COALESCE(@cpt, cpus_per_task),
                memory_mb = COALESCE(@mem, memory_mb),
                dependency = CASE WHEN @set_dep THEN @dep ELSE dependency END,
                begin_time = CASE WHEN @set_begin THEN @begin ELSE begin_time END,
                eligible_time = CASE WHEN @set_begin THEN GREATEST(COALESCE(@begin, now()), submit_time) ELSE eligible_time END
            WHERE id = @id AND state = 'PENDING'
            RETURNING id
            """,
            P("id", NpgsqlDbType.Bigint, jobId), P("name", NpgsqlDbType.Varchar, patch.Name), P("prio", NpgsqlDbType.Integer, patch.Priority),
            P("set_tl", NpgsqlDbType.Boolean, patch.SetsTimeLimit), P("tl", NpgsqlDbType.Integer, patch.TimeLimitSeconds),
            P("part", NpgsqlDbType.Varchar, patch.Partition), P("ntasks", NpgsqlDbType.Integer, patch.NtasksPerNode),
            P("cpt", NpgsqlDbType.Integer, patch.CpusPerTask), P("mem", NpgsqlDbType.Bigint, patch.MemoryMb),
            P("set_dep", NpgsqlDbType.Boolean, patch.SetsDependency), P("dep", NpgsqlDbType.Varchar, patch.Dependency),
            P("set_begin", NpgsqlDbType.Boolean, patch.SetsBeginTime), P("begin", NpgsqlDbType.TimestampTz, patch.BeginTime)))
        {
            if (await update.ExecuteScalarAsync(ct) is null) return false;
        }
        await using var rest = new NpgsqlBatch(conn);
        if (patch.SetsDependency)
        {
            rest.BatchCommands.Add(Batched("DELETE FROM job_dependencies WHERE job_id = @id", P("id", NpgsqlDbType.Bigint, jobId)));
            rest.BatchCommands.Add(Batched("""
                INSERT INTO job_dependencies (job_id, depends_on, kind) SELECT DISTINCT @id, d.on_id, d.kind FROM unnest(@on, @kind) AS d(on_id, kind)
                """, P("id", NpgsqlDbType.Bigint, jobId), P("on", NpgsqlDbType.Array | NpgsqlDbType.Bigint, patch.Dependencies.Select(d => d.JobId).ToArray()),
                P("kind", NpgsqlDbType.Array | NpgsqlDbType.Varchar, patch.Dependencies.Select(d => d.Kind).ToArray())));
        }
        rest.BatchCommands.Add(Batched("""
            INSERT INTO job_events (job_id, from_state, to_state, reason, at, node, message)
            SELECT @id, 'PENDING', 'PENDING', 'Updated', now(), NULL, c || ' (by ' || @by || ')' FROM unnest(@changes) AS c
            """, P("id", NpgsqlDbType.Bigint, jobId), P("by", NpgsqlDbType.Text, by), P("changes", NpgsqlDbType.Array | NpgsqlDbType.Text, patch.Changes.ToArray())));
        await rest.ExecuteNonQueryAsync(ct);
        await tx.CommitAsync(ct);
        return true;
    }
}
