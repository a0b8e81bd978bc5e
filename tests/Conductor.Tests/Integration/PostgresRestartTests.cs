using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Integration;

/// <summary>PostgreSQL restarted while jobs run: API and worker reconnect; every outcome is recorded.</summary>
[Collection(OutageCollection.Name)]
public sealed class PostgresRestartTests
{
    [Fact]
    public async Task PostgresRestartedWhileJobsRun_JobsFinishAndAreRecorded_AndBothServicesReconnect()
    {
        await using var cluster = await ClusterFixture.StartIdleAsync(new Dictionary<string, string> { ["Conductor:Worker:LeaseSeconds"] = "5" });
        var worker = await cluster.StartWorkerAsync();
        var gate = Path.Combine(cluster.DataDir, "gate");
        var ids = new List<string>();
        for (var i = 0; i < 2; i++)
            ids.Add(await cluster.Client.SubmitAsync($"while [ ! -e {gate} ]; do sleep 0.1; done\necho {i}\n"));
        foreach (var id in ids) await RecoveryTests.RecordedPidAsync(cluster, id);

        await PostgresServer.StopAsync();
        try
        {
            File.WriteAllText(gate, ""); // the jobs end while their outcome cannot be written
            await Eventually.Until(() => worker.Output.Contains("Store unavailable while trying to finish job", StringComparison.Ordinal),
                TimeSpan.FromSeconds(20), "the worker keeps retrying the write");
        }
        finally
        {
            await PostgresServer.StartAsync();
        }

        foreach (var id in ids)
        {
            var job = await cluster.Client.WaitForFinishAsync(id, TimeSpan.FromSeconds(40));
            ConductorClient.State(job).Should().Be("COMPLETED", "the retried write lands once PostgreSQL is back\n" + worker.Output);
        }
        var after = await cluster.Client.SubmitAsync("echo after");
        ConductorClient.State(await cluster.Client.WaitForFinishAsync(after)).Should().Be("COMPLETED", "the worker claims again by itself");
        (await cluster.Client.GetJsonAsync("/nodes"))["nodes"]![0]!["state"]!.GetValue<string>().Should().Be("UP",
            "an outage longer than the lease does not make live nodes look dead");
        await Invariants.AssertHoldAsync(cluster.Database);
    }

    [Fact]
    public async Task RepairRightAfterAPostgresOutage_LeavesTheLiveNodeUp_AndItsJobRunning()
    {
        // Only the repair judges here: the API's and the worker's own reapers get a long lease.
        await using var cluster = await ClusterFixture.StartIdleAsync(new Dictionary<string, string> { ["Conductor:Worker:LeaseSeconds"] = "600" });
        var worker = await cluster.StartWorkerAsync(cluster.Settings() with { LeaseSeconds = 600 });
        var id = await cluster.Client.SubmitAsync("sleep 300");
        var pid = await RecoveryTests.RecordedPidAsync(cluster, id);

        // The worker is held still until the repair has run: a live worker heartbeats again within
        // a second or two of PostgreSQL's return, and the repair must not win that race by luck.
        Mono.Unix.Native.Syscall.kill(worker.Pid, Mono.Unix.Native.Signum.SIGSTOP);
        CommandOutput repaired;
        try
        {
            await PostgresServer.StopAsync();
            try
            {
                await Task.Delay(RepairLease + TimeSpan.FromSeconds(1)); // the outage: longer than the repair's lease
            }
            finally
            {
                await PostgresServer.StartAsync();
            }
            repaired = await OperationsCommand.RunAsync(cluster.Database.ConnectionString, cluster.DataDir, null,
                ["health-check", "--json", "--repair", "--lease", $"{RepairLease.TotalSeconds}s"]);
        }
        finally
        {
            Mono.Unix.Native.Syscall.kill(worker.Pid, Mono.Unix.Native.Signum.SIGCONT);
        }

        (await cluster.Database.ScalarAsync<string>($"SELECT state FROM nodes WHERE name = '{cluster.NodeName}'"))
            .Should().Be("Up", $"nobody could heartbeat during the outage: silence then proves nothing\n{repaired}");
        ConductorClient.State(await cluster.Client.QueryAsync(id)).Should().Be("RUNNING", "the job's node is alive");
        Processes.IsAlive(pid).Should().BeTrue();
    }

    /// <summary>Long enough for the repair command to start and run within it after PostgreSQL is back.</summary>
    private static readonly TimeSpan RepairLease = TimeSpan.FromSeconds(10);
}
