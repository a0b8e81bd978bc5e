using System.Collections.Concurrent;
using System.Diagnostics;
using Conductor.Core.Jobs;
using Conductor.Core.Storage;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Conductor.Bench.Scenarios;

/// <summary>
/// Scenario 6: many nodes against one PostgreSQL (docs/scaling.md). Light simulated node agents
/// in this process drive the worker's real statements: <see cref="JobStore.ClaimAsync"/>, the
/// finish-and-claim transaction (<see cref="JobStore.FinishAndClaimAsync"/>) and the heartbeat
/// (<see cref="NodeStore.HeartbeatAsync"/>, every 5 s per node). Each node has 64 cores; its
/// jobs "run" 0.5 to 1.5 s (nothing is spawned), so every node keeps claiming as cores free up,
/// with the worker's window (4 candidates per free core, at most 32). At most
/// <see cref="Connections"/> statements run at once (a 2-core machine cannot hold a connection
/// per node; a real cluster would put PgBouncer in front for the same reason): latency is the
/// statement's own, from the moment it has a connection.
/// </summary>
public static class ManyNodes
{
    public const int CoresPerNode = 64;
    public const int Connections = 48;
    private static readonly TimeSpan HeartbeatEvery = TimeSpan.FromSeconds(5);

    /// <summary>The lock waits seen by the sampler of the last run, by pg_stat_activity.wait_event (tuple, transactionid, advisory, ...).</summary>
    public static readonly Dictionary<string, int> WaitEvents = [];

    public sealed record Result(int Nodes, double ClaimsPerSecond, double JobsPerSecond, double P50Ms, double P99Ms,
        double PostgresCpuMsPerClaim, double LockWaitingMean, int LockWaitingMax, long Deadlocks, double HeartbeatsPerSecond);

    private sealed class Counts
    {
        public long Claims;
        public long Jobs;
    }

    private sealed class Agent(string name, Guid instance)
    {
        public readonly NodeClaim Claim = new(name, instance, "default", [.. Enumerable.Range(0, CoresPerNode)], 256_000);
        public readonly List<(long Id, int Cpus, DateTime Ends)> Running = [];
        public int Free => CoresPerNode - Running.Sum(r => r.Cpus);
    }

    public static async Task<Result> RunAsync(int nodes, int pending, TimeSpan duration)
    {
        WaitEvents.Clear();
        await using var stack = await Stack.StartAsync(worker: false);
        stack.KillApi(); // the agents are the only clients: PostgreSQL's CPU is theirs
        await Seed.HistoryAsync(stack.Db, 0, pending);
        var agents = await RegisterAsync(stack.Db, nodes);
        await using var services = new ServiceCollection().AddSingleton(TimeProvider.System)
            .AddConductorStorage(new NpgsqlConnectionStringBuilder(stack.ConnectionString) { MaxPoolSize = Connections + 8 }.ConnectionString)
            .BuildServiceProvider();
        var store = services.GetRequiredService<JobStore>();
        var nodeStore = services.GetRequiredService<NodeStore>();
        var deadlocksBefore = await stack.ScalarAsync("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()");

        using var stop = new CancellationTokenSource(duration);
        var gate = new SemaphoreSlim(Connections);
        var latencies = new ConcurrentBag<double>();
        var counts = new Counts();
        long beats = 0;
        var meter = CpuMeter.Start(stack);
        var clock = Stopwatch.StartNew();
        var sampler = SampleLockWaitsAsync(stack.ConnectionString, stop.Token);
        var heartbeats = HeartbeatAsync(nodeStore, agents, () => Interlocked.Increment(ref beats), stop.Token);
        await Task.WhenAll(agents.Select(a => AgentLoopAsync(a, store, gate, latencies, counts, stop.Token)));
        long claims = counts.Claims, jobs = counts.Jobs;
        var seconds = clock.Elapsed.TotalSeconds;
        var postgresMs = meter.Stop().GetValueOrDefault("postgres");
        var waits = await sampler;
        await heartbeats;
        var deadlocks = await stack.ScalarAsync("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()") - deadlocksBefore;
        var sorted = latencies.ToList();
        return new Result(nodes, claims / seconds, jobs / seconds, Stats.Median(sorted), Stats.Percentile(sorted, 99),
            claims == 0 ? double.NaN : postgresMs / claims, waits.Count == 0 ? 0 : waits.Average(), waits.Count == 0 ? 0 : waits.Max(),
            deadlocks, beats / seconds);
    }

    private static async Task<List<Agent>> RegisterAsync(NpgsqlDataSource db, int nodes)
    {
        var agents = Enumerable.Range(1, nodes).Select(i => new Agent($"sim-{i:D4}", Guid.NewGuid())).ToList();
        await using var cmd = db.CreateCommand("""
            INSERT INTO nodes (name, partition, cpus, core_ids, memory_mb, state, instance_id, boot_id, registered_at, last_heartbeat)
            SELECT n, 'default', $3, (SELECT array_agg(g) FROM generate_series(0, $3 - 1) g), 256000, 'Up', i, 'bench', now(), now()
            FROM unnest($1::text[], $2::uuid[]) AS t(n, i)
            """);
        cmd.Parameters.AddWithValue(agents.Select(a => a.Claim.Name).ToArray());
        cmd.Parameters.AddWithValue(agents.Select(a => a.Claim.InstanceId).ToArray());
        cmd.Parameters.AddWithValue(CoresPerNode);
        await cmd.ExecuteNonQueryAsync();
        return agents;
    }

    /// <summary>One node: finish what has ended and claim for the freed cores in one transaction, as the worker does.</summary>
    private static async Task AgentLoopAsync(Agent agent, JobStore store, SemaphoreSlim gate, ConcurrentBag<double> latencies,
        Counts counts, CancellationToken ct)
    {
        var random = new Random(agent.Claim.Name.GetHashCode());
        long myClaims = 0, myJobs = 0;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var now = DateTime.UtcNow;
                var ended = agent.Running.Where(r => r.Ends <= now).ToList();
                var free = agent.Free + ended.Sum(r => r.Cpus);
                var batch = Math.Min(32, free * 4);
                if (ended.Count == 0 && batch == 0)
                {
                    await Task.Delay(agent.Running.Min(r => r.Ends) - now + TimeSpan.FromMilliseconds(1), ct);
                    continue;
                }
                await gate.WaitAsync(ct);
                IReadOnlyList<ClaimedJob> claimed;
                var sw = Stopwatch.StartNew();
                try
                {
                    claimed = ended.Count == 0
                        ? await store.ClaimAsync(agent.Claim, batch, ct)
                        : (await store.FinishAndClaimAsync([.. ended.Select(r => (new Transition(r.Id, JobState.Running, JobState.Completed, JobReason.None) { ExitCode = 0, Attempt = 1 }, (SpawnRecord?)null))],
                            agent.Claim, batch, ct)).Claimed;
                }
                finally
                {
                    gate.Release();
                }
                latencies.Add(sw.Elapsed.TotalMilliseconds);
                myClaims++;
                myJobs += claimed.Count;
                agent.Running.RemoveAll(r => r.Ends <= now);
                agent.Running.AddRange(claimed.Select(c => (c.Job.Id, c.CpuIds.Length, DateTime.UtcNow.AddMilliseconds(500 + random.Next(1000)))));
                if (claimed.Count == 0 && agent.Running.Count == 0) await Task.Delay(100, ct); // nothing pending: poll as a worker does
            }
        }
        catch (OperationCanceledException)
        {
        }
        Interlocked.Add(ref counts.Claims, myClaims);
        Interlocked.Add(ref counts.Jobs, myJobs);
    }

    /// <summary>
    /// Every node's heartbeat every 5 s, spread evenly, on connections of their own (8 at most in
    /// flight): in a cluster each worker heartbeats on its own connection, never behind claims.
    /// </summary>
    private static async Task HeartbeatAsync(NodeStore nodes, List<Agent> agents, Action counted, CancellationToken ct)
    {
        var spacing = HeartbeatEvery / agents.Count;
        var inFlight = new SemaphoreSlim(8);
        var started = Stopwatch.StartNew();
        var beats = new List<Task>();
        try
        {
            for (long i = 0; !ct.IsCancellationRequested; i++)
            {
                var due = spacing * i - started.Elapsed;
                if (due > TimeSpan.Zero) await Task.Delay(due, ct);
                await inFlight.WaitAsync(ct);
                var agent = agents[(int)(i % agents.Count)];
                beats.Add(Task.Run(async () =>
                {
                    try
                    {
                        await nodes.HeartbeatAsync(agent.Claim.Name, agent.Claim.InstanceId, CancellationToken.None);
                        counted();
                    }
                    finally
                    {
                        inFlight.Release();
                    }
                }, CancellationToken.None));
            }
        }
        catch (OperationCanceledException)
        {
        }
        await Task.WhenAll(beats);
    }

    /// <summary>Backends waiting on a lock (pg_stat_activity), sampled every 100 ms.</summary>
    private static async Task<List<int>> SampleLockWaitsAsync(string connectionString, CancellationToken ct)
    {
        var samples = new List<int>();
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync(CancellationToken.None);
        await using var cmd = new NpgsqlCommand(
            "SELECT wait_event FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()", conn);
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var count = 0;
                await using (var reader = await cmd.ExecuteReaderAsync(CancellationToken.None))
                    while (await reader.ReadAsync(CancellationToken.None))
                    {
                        count++;
                        var what = reader.GetString(0);
                        WaitEvents[what] = WaitEvents.GetValueOrDefault(what) + 1;
                    }
                samples.Add(count);
                await Task.Delay(100, ct);
            }
        }
        catch (OperationCanceledException)
        {
        }
        return samples;
    }
}
