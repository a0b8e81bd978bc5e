using Conductor.Core.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Conductor.Worker.Messaging;
using Conductor.Worker.Node;
using Conductor.Worker.Processes;
using Conductor.Worker.Recovery;
using Conductor.Worker.Supervision;

namespace Conductor.Worker.Dispatch;

/// <summary>
/// The worker's main loop: wait for the schema, register the node, run recovery to the end,
/// then claim → supervise, woken by Redis or a finished job, polling PostgreSQL otherwise.
/// Infrastructure faults back off and retry; they never end the loop.
/// </summary>
public sealed class Dispatcher(
    IDbContextFactory<ConductorDbContext> contexts, JobStore store, NodeAgent node, StartupRecovery recovery,
    JobSupervisor supervisor, RunningJobs running, NodeClaims claims, WakeUps wakeUps, RedisListener redis, StoreRetry retry, SpawnerLauncher launcher,
    RunAsPolicy runAs,
    IHostApplicationLifetime lifetime, IOptions<WorkerOptions> options, ILogger<Dispatcher> log) : WorkerService
{
    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        _ = WarmUpSpawnerAsync(ct);
        await retry.RunAsync("wait for the database schema", WaitForSchemaAsync);
        await retry.RunAsync("register the node", async c => { await node.RegisterAsync(c); return true; });
        await RecoverAsync(ct);
        claims.Open(claim => Start(claim, ct), ct);
        _ = node.HeartbeatLoopAsync(ct);
        var backoff = TimeSpan.Zero;
        var checkCancels = true;
        var sinceSweep = System.Diagnostics.Stopwatch.StartNew();
        while (!ct.IsCancellationRequested)
        {
            if (node.Fenced)
            {
                // A newer process owns this node and re-adopts its jobs: leave them running and go.
                lifetime.StopApplication();
                return;
            }
            try
            {
                if (node.MarkedDown) await RejoinAsync(ct);
                if (checkCancels || wakeUps.TakeCancelHint()) await ApplyCancelsAsync(ct);
                if (checkCancels)
                {
                    await FailNeverSatisfiedAsync(ct); // a sweep on poll ticks, off the per-job path
                    sinceSweep.Restart();
                }
                var claimedAll = await claims.ClaimAsync(ct);
                backoff = TimeSpan.Zero;
                if (claimedAll) continue; // the batch was full: there may be more that fits
            }
            catch (Exception e) when (TransientFaults.IsTransient(e) && !ct.IsCancellationRequested)
            {
                backoff = TimeSpan.FromMilliseconds(Math.Clamp(backoff.TotalMilliseconds * 2, 200, 5000));
                log.LogWarning("Dispatch cycle failed, retrying in {Backoff}: {Error}", backoff, e.Message);
                await Task.Delay(backoff, ct);
            }
            var interval = TimeSpan.FromSeconds(redis.IsConnected ? options.Value.RedisPollIntervalSeconds : options.Value.PollIntervalSeconds);
            var woken = await wakeUps.WaitAsync(interval, ct).ConfigureAwait(false);
            // Poll-tick work also runs when wake-ups never let the wait time out (a busy cluster).
            checkCancels = !woken || !redis.IsConnected || sinceSweep.Elapsed >= interval;
        }
    }

    /// <summary>
    /// Says who jobs run as, and starts the job spawner while the worker registers and recovers:
    /// the shared user's, or the worker's own when it is not root. With a user per account, each
    /// account's spawner starts with its first job.
    /// </summary>
    private async Task WarmUpSpawnerAsync(CancellationToken ct)
    {
        if (!RunAsPolicy.WorkerIsRoot)
            log.LogWarning("The worker runs as uid {Uid}, not root: it cannot keep accounts apart, and every job runs as the worker's own user",
                Mono.Unix.Native.Syscall.geteuid());
        else
            log.LogInformation("Job users: {JobUsers}", runAs.Describe());
        // One spawner serves every job user.
        await launcher.WarmUpAsync(ct);
    }

    private void Start(ClaimedJob claim, CancellationToken ct)
    {
        var run = running.Add(claim.Job.Id, claim.Job.Attempt, claim.CpuIds.Length);
        // Runs here up to its first await (the spawn request is sent), without a thread hop.
        _ = running.Track(run, supervisor.RunClaimedAsync(claim, run, ct));
    }

    /// <summary>Settles what an earlier worker process left, and watches again the jobs still alive.</summary>
    private async Task RecoverAsync(CancellationToken ct)
    {
        foreach (var adopted in await recovery.RecoverAsync(node.Name, ct))
        {
            var run = running.Add(adopted.Job.Id, adopted.Job.Attempt, adopted.Cores);
            if (adopted.Cancel) run.RequestCancel();
            _ = running.Track(run, supervisor.WatchAdoptedAsync(adopted.Job, run, adopted.Pid, adopted.StartTicks, adopted.BootId));
        }
    }

    /// <summary>
    /// A peer declared this node dead (we stalled past the lease) and failed its jobs as NodeFail.
    /// Those jobs are over as far as everyone else knows, so their processes must not keep the
    /// cores: kill them all, then register again and recover before claiming anything new.
    /// </summary>
    private async Task RejoinAsync(CancellationToken ct)
    {
        claims.Close();
        var tasks = running.KillAll();
        await Task.WhenAny(Task.WhenAll(tasks), Task.Delay(TimeSpan.FromSeconds(options.Value.GraceSeconds + 5), ct));
        await node.RegisterAsync(ct);
        await RecoverAsync(ct);
        claims.Open(claim => Start(claim, ct), ct);
    }

    /// <summary>Jobs whose dependency failed must end rather than wait forever; any worker may do it.</summary>
    private async Task FailNeverSatisfiedAsync(CancellationToken ct)
    {
        var failed = await store.FailNeverSatisfiedAsync(ct);
        if (failed > 0) log.LogInformation("Failed {Count} pending jobs whose dependency can never be satisfied", failed);
    }

    private async Task ApplyCancelsAsync(CancellationToken ct)
    {
        foreach (var (id, requeue) in await store.StopRequestedOnNodeAsync(node.Name, ct))
        {
            if (requeue) running.Find(id)?.RequestRequeue();
            else running.Find(id)?.RequestCancel();
        }
    }

    private async Task<bool> WaitForSchemaAsync(CancellationToken ct)
    {
        while (true)
        {
            await using var db = await contexts.CreateDbContextAsync(ct);
            // The common case in one cheap query: the newest migration this build knows is applied.
            if (await NewestMigrationAppliedAsync(db, ct)) return true;
            var pending = (await db.Database.GetPendingMigrationsAsync(ct)).ToList();
            if (pending.Count == 0) return true;
            log.LogInformation("Waiting for the API to apply {Count} migrations", pending.Count);
            await Task.Delay(TimeSpan.FromSeconds(1), ct);
        }
    }

    private static async Task<bool> NewestMigrationAppliedAsync(ConductorDbContext db, CancellationToken ct)
    {
        var newest = db.Database.GetMigrations().LastOrDefault();
        if (newest is null) return false;
        try
        {
            return await db.Database.SqlQuery<int>($"SELECT 1 AS \"Value\" FROM \"__EFMigrationsHistory\" WHERE migration_id = {newest}")
                .AnyAsync(ct);
        }
        catch (Npgsql.PostgresException e) when (e.SqlState == Npgsql.PostgresErrorCodes.UndefinedTable)
        {
            return false; // no migration applied yet
        }
    }

    protected override async Task StoppingAsync(CancellationToken ct)
    {
        if (options.Value.OnShutdown != ShutdownBehaviour.Kill)
        {
            log.LogInformation("Worker stopping; {Count} running jobs are left running and will be re-adopted", running.Count);
            return;
        }
        var tasks = running.KillAll();
        log.LogInformation("Worker stopping; killing {Count} running jobs", tasks.Count);
        await Task.WhenAny(Task.WhenAll(tasks), Task.Delay(TimeSpan.FromSeconds(4.5), ct));
    }
}
