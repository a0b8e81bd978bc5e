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
}
