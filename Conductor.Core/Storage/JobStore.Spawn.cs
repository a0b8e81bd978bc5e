using Npgsql;
using NpgsqlTypes;
using static Conductor.Core.Storage.Sql;

namespace Conductor.Core.Storage;

/// <summary>
/// The identity of a spawned job process (a PID counts only with its start time and boot id), where
/// its output goes, and the uid it runs as (its output files must belong to that uid to be served; null when unknown).
/// </summary>
public sealed record SpawnRecord(int Pid, long StartTicks, string BootId, string WorkDir, string StdoutPath, string StderrPath, int? Uid);

public sealed partial class JobStore
{
    /// <summary>
    /// Records where the spawned process lives. Pinned to the attempt and to RUNNING: false
    /// means the job was taken from us meanwhile (e.g. failed as NodeFail by a peer), and the
    /// caller must kill what it just started. Once per job, so one plain (auto-prepared) statement.
    /// </summary>
    public async Task<bool> RecordSpawnAsync(long jobId, int attempt, SpawnRecord spawn, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var batch = new NpgsqlBatch(conn) { BatchCommands = { RecordSpawnCommand(jobId, attempt, spawn) } };
        return await batch.ExecuteNonQueryAsync(ct) == 1;
    }

    private static NpgsqlBatchCommand RecordSpawnCommand(long jobId, int attempt, SpawnRecord spawn)
    {
        const string sql = """
            UPDATE jobs SET pid = @pid, process_start_ticks = @ticks, boot_id = @boot,
                work_dir = @wd, stdout_path = @out, stderr_path = @err, run_uid = @uid
            WHERE id = @id AND attempt = @attempt AND state = 'RUNNING'
            RETURNING id
            """;
        return Batched(sql,
            P("pid", NpgsqlDbType.Integer, spawn.Pid), P("ticks", NpgsqlDbType.Bigint, spawn.StartTicks),
            P("boot", NpgsqlDbType.Text, spawn.BootId), P("wd", NpgsqlDbType.Text, spawn.WorkDir),
            P("out", NpgsqlDbType.Text, spawn.StdoutPath), P("err", NpgsqlDbType.Text, spawn.StderrPath), P("uid", NpgsqlDbType.Integer, spawn.Uid),
            P("id", NpgsqlDbType.Bigint, jobId), P("attempt", NpgsqlDbType.Integer, attempt));
    }
}
