using System.Net;
using Conductor.Core.Operations;
using Conductor.Tests.Infrastructure;
using Npgsql;

namespace Conductor.Tests.Operations;

/// <summary>Draining and resuming nodes, pausing partitions: real workers, two nodes where it matters.</summary>
public sealed class DrainTests
{
    private static async Task<string> NodeStateAsync(ConductorClient client, string node) =>
        (await client.GetJsonAsync("/nodes"))["nodes"]!.AsArray().Single(n => n!["name"]!.GetValue<string>() == node)!["state"]!.GetValue<string>();

    [Fact]
    public async Task DrainedNode_FinishesItsRunningJob_StartsNothingNew_AndTheQueueRunsOnTheOtherNode_EvenAcrossARestart()
    {
        await using var cluster = await ClusterFixture.StartIdleAsync();
        var a = await cluster.StartWorkerAsync(cluster.Settings() with { Cpus = 1 });
        var running = await cluster.Client.SubmitAsync(OpsKit.WaitForGo);
        await OpsKit.WaitSpawnedAsync(cluster.Client, running);

        var (status, body) = await OpsKit.PostAsync(cluster.Client, $"/nodes/{cluster.NodeName}/drain", new { reason = "disk swap" });
        var draining = await NodeStateAsync(cluster.Client, cluster.NodeName);
        var waiting = await cluster.Client.SubmitAsync("echo behind");
        var other = $"node-b-{Guid.NewGuid():N}"[..13];
        await cluster.StartWorkerAsync(new WorkerSettings(cluster.Database.ConnectionString, other, TestEnvironment.NewScratchDir("drain-b")) { Cpus = 1 });
        var behind = await cluster.Client.WaitForStateAsync(waiting, "COMPLETED");
        await OpsKit.Go(cluster, running);
        await cluster.Client.WaitForStateAsync(running, "COMPLETED");
        await Eventually.Until(() => NodeStateAsync(cluster.Client, cluster.NodeName), s => s == "DRAINED", TimeSpan.FromSeconds(10), "the node is drained");
        await a.KillAsync();
        await cluster.StartWorkerAsync(cluster.Settings() with { Cpus = 1 });
        var after = await cluster.Client.SubmitAsync("echo after restart");
        var afterJob = await cluster.Client.WaitForStateAsync(after, "COMPLETED");
        var drainedReport = await new InvariantChecks(NpgsqlDataSource.Create(cluster.Database.ConnectionString)).DrainedAsync(CancellationToken.None);

        status.Should().Be(HttpStatusCode.OK, body?.ToJsonString());
        draining.Should().Be("DRAINING", "a job still runs on it");
        behind["detail"]!["node_list"]!.GetValue<string>().Should().Be(other, "the job waiting behind the running one ran on the other node");
        afterJob["detail"]!["node_list"]!.GetValue<string>().Should().Be(other, "a drained node stays drained when its worker restarts");
        (await NodeStateAsync(cluster.Client, cluster.NodeName)).Should().Be("DRAINED");
        var node = (await cluster.Client.GetJsonAsync("/nodes"))["nodes"]!.AsArray().Single(n => n!["name"]!.GetValue<string>() == cluster.NodeName)!;
        node["drain_reason"]!.GetValue<string>().Should().Be("disk swap");
        drainedReport.Status.Should().Be(CheckStatus.Ok, "a drained node is reported, not an error");
        drainedReport.Message.Should().Contain($"node {cluster.NodeName} DRAINED").And.Contain("disk swap");

        (await OpsKit.PostAsync(cluster.Client, $"/nodes/{cluster.NodeName}/resume")).Status.Should().Be(HttpStatusCode.OK);
        (await NodeStateAsync(cluster.Client, cluster.NodeName)).Should().Be("UP");
        await Invariants.AssertHoldAsync(cluster.Database);
    }

    [Fact]
    public async Task DrainDeadline_RequeuesTheJobsStillRunning_WhichRunAgainOnceResumed()
    {
        await using var cluster = await ClusterFixture.StartIdleAsync();
        await cluster.StartWorkerAsync();
        var id = await cluster.Client.SubmitAsync("if [ \"$CONDUCTOR_RESTART_COUNT\" -ge 1 ]; then exit 0; fi\nsleep 300");
        await OpsKit.WaitSpawnedAsync(cluster.Client, id);

        await OpsKit.PostAsync(cluster.Client, $"/nodes/{cluster.NodeName}/drain",
            new { reason = "maintenance", deadline = DateTime.UtcNow.AddSeconds(1).ToString("O") });
        var requeued = await Eventually.Until(() => cluster.Client.QueryAsync(id), j => ConductorClient.State(j) == "PENDING",
            TimeSpan.FromSeconds(20), "the deadline requeues the running job");
        await Eventually.Until(() => NodeStateAsync(cluster.Client, cluster.NodeName), s => s == "DRAINED", TimeSpan.FromSeconds(10), "the node is drained");
        await OpsKit.PostAsync(cluster.Client, $"/nodes/{cluster.NodeName}/resume");
        var done = await cluster.Client.WaitForStateAsync(id, "COMPLETED", TimeSpan.FromSeconds(30));

        requeued["attempt"]!.GetValue<int>().Should().Be(1, "the killed run was attempt 1");
        done["attempt"]!.GetValue<int>().Should().Be(2);
        (await OpsKit.EventsAsync(cluster.Client, id)).Should().Contain(e => e["reason"]!.GetValue<string>() == "RequeueRequested"
            && e["message"]!.GetValue<string>().Contains("drain deadline"));
        await Invariants.AssertHoldAsync(cluster.Database);
    }

    [Fact]
    public async Task PausedPartition_KeepsItsQueueWithReasonPartitionDown_UntilResumed_AndOnlyAdminsDrainOrPause()
    {
        await using var cluster = await ClusterFixture.StartIdleAsync(Tokens.NoCache());
        await cluster.StartWorkerAsync();
        var admin = Tokens.ClientFor(cluster, await Tokens.CreateAsync(cluster, "drain-admin", admin: true));
        var user = Tokens.ClientFor(cluster, await Tokens.CreateAsync(cluster, "drain-user"));

        (await OpsKit.PostAsync(admin, "/partitions/default/pause")).Status.Should().Be(HttpStatusCode.OK);
        var id = await user.SubmitAsync("echo paused");
        var paused = await Eventually.Until(() => user.QueryAsync(id), j => j["reason"]!.GetValue<string>() == "PartitionDown",
            TimeSpan.FromSeconds(5), "the job waits for its partition");
        var stillPending = ConductorClient.State(await user.QueryAsync(id));
        var forbidden = new[]
        {
            (await OpsKit.PostAsync(user, $"/nodes/{cluster.NodeName}/drain", new { reason = "mine" })).Status,
            (await OpsKit.PostAsync(user, $"/nodes/{cluster.NodeName}/resume")).Status,
            (await OpsKit.PostAsync(user, "/partitions/default/resume")).Status,
        };
        var unknown = await OpsKit.PostAsync(admin, "/nodes/no-such-node/drain", new { reason = "x" });
        var badBody = await OpsKit.PostAsync(admin, $"/nodes/{cluster.NodeName}/drain", new { reason = "x", deadline = "soon", colour = 1 });
        (await OpsKit.PostAsync(admin, "/partitions/default/resume")).Status.Should().Be(HttpStatusCode.OK);
        await user.WaitForStateAsync(id, "COMPLETED");

        stillPending.Should().Be("PENDING");
        paused["reason"]!.GetValue<string>().Should().Be("PartitionDown");
        forbidden.Should().AllBeEquivalentTo(HttpStatusCode.Forbidden, "nodes and partitions are an admin's");
        unknown.Status.Should().Be(HttpStatusCode.NotFound);
        badBody.Status.Should().Be(HttpStatusCode.BadRequest);
        badBody.Body!["errors"]!.AsObject().Select(e => e.Key).Should().BeEquivalentTo(["deadline", "colour"]);
    }
}
