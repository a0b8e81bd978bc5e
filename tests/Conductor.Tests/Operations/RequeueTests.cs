using System.Net;
using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Operations;

/// <summary>Requeue: a running job on request, a NodeFail/Orphaned job that asked for it, and many jobs by filter.</summary>
public sealed class RequeueTests(TokenClusterFixture cluster) : IClassFixture<TokenClusterFixture>, IAsyncLifetime
{
    private ConductorClient _admin = null!;

    public async Task InitializeAsync() => _admin = Tokens.ClientFor(cluster, await Tokens.CreateAsync(cluster, "requeue-admin", admin: true));

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>The first attempt leaves a setsid'd child (out of its session) and runs on; the second completes.</summary>
    private const string FirstAttemptHangs = """
        if [ "$CONDUCTOR_RESTART_COUNT" -ge 1 ]; then echo second; exit 0; fi
        setsid sleep 300 & echo $! > "$CONDUCTOR_JOB_DIR/child"
        sleep 300
        """;

    [Fact]
    public async Task RunningJob_Requeued_KillsItsWholeTree_AndTheSecondAttemptCompletes()
    {
        var id = await _admin.SubmitAsync(FirstAttemptHangs);
        var running = await OpsKit.WaitSpawnedAsync(_admin, id);
        var childFile = Path.Combine(cluster.DataDir, "jobs", id, "child");
        await Eventually.Until(() => File.Exists(childFile) && File.ReadAllText(childFile).Trim().Length > 0, TimeSpan.FromSeconds(20), "the child is started");
        var child = int.Parse(File.ReadAllText(childFile).Trim());

        var (status, body) = await OpsKit.PostAsync(_admin, $"/jobs/{id}/requeue");
        var done = await _admin.WaitForStateAsync(id, "COMPLETED", TimeSpan.FromSeconds(60));

        status.Should().Be(HttpStatusCode.OK, body?.ToJsonString());
        done["attempt"]!.GetValue<int>().Should().Be(2, "the requeue is a new attempt");
        await Processes.WaitAllGoneAsync([running["pid"]!.GetValue<int>(), child], "the first attempt's whole tree, setsid'd child included, is killed");
        var events = await OpsKit.EventsAsync(_admin, id);
        events.Select(e => $"{e["from"]?.GetValue<string>() ?? "-"}>{e["to"]!.GetValue<string>()}:{e["reason"]!.GetValue<string>()}").Should().ContainInOrder(
            "RUNNING>RUNNING:RequeueRequested", "RUNNING>PENDING:Requeued", "PENDING>RUNNING:Claimed", "RUNNING>COMPLETED:None");
        events.First(e => e["reason"]!.GetValue<string>() == "RequeueRequested")["message"]!.GetValue<string>().Should().Contain("requeue-admin");
        (await OpsKit.PostAsync(_admin, $"/jobs/{id}/requeue")).Status.Should().Be(HttpStatusCode.Conflict, "a finished job is resubmitted, not requeued");
        await Invariants.AssertHoldAsync(cluster.Database);
    }

    [Fact]
    public async Task JobThatAskedForRequeue_IsRequeuedAfterAWorkerSigkill_WithItsProcessKilled()
    {
        await using var own = await ClusterFixture.StartIdleAsync();
        var first = await own.StartWorkerAsync();
        var asked = await own.Client.SubmitAsync("if [ \"$CONDUCTOR_RESTART_COUNT\" -ge 1 ]; then exit 0; fi\nsleep 300", new { requeue = true });
        var plain = await own.Client.SubmitAsync("sleep 300");
        var pids = new[] { (await OpsKit.WaitSpawnedAsync(own.Client, asked))["pid"]!.GetValue<int>(), (await OpsKit.WaitSpawnedAsync(own.Client, plain))["pid"]!.GetValue<int>() };

        await first.KillAsync();
        var spawner = Processes.ParentOf(pids[0]);
        Mono.Unix.Native.Syscall.kill(spawner, Mono.Unix.Native.Signum.SIGKILL); // nothing is left to record how the jobs end
        await Processes.WaitAllGoneAsync([spawner], "the spawner is gone");
        foreach (var pid in pids) Mono.Unix.Native.Syscall.kill(-pid, Mono.Unix.Native.Signum.SIGKILL);
        await Processes.WaitAllGoneAsync(pids, "the jobs' process groups are gone");
        await own.StartWorkerAsync();
        var requeued = await own.Client.WaitForStateAsync(asked, "COMPLETED", TimeSpan.FromSeconds(60));
        var orphaned = await own.Client.WaitForFinishAsync(plain);

        requeued["attempt"]!.GetValue<int>().Should().Be(2, "\"requeue\": true puts an Orphaned run back in line as a new attempt");
        (await OpsKit.EventsAsync(own.Client, asked)).Should().Contain(e => e["to"]!.GetValue<string>() == "PENDING" && e["reason"]!.GetValue<string>() == "Orphaned"
            && e["message"]!.GetValue<string>().Contains("Requeued automatically"));
        orphaned["reason"]!.GetValue<string>().Should().Be("Orphaned", "without \"requeue\": true nothing is retried, as SCNS does");
        ConductorClient.State(orphaned).Should().Be("FAILED");
        await Invariants.AssertHoldAsync(own.Database);
    }

    [Fact]
    public async Task BulkRequeue_ResubmitsTheMatchingFinishedJobsOnce_AuditsThem_AndNeverTouchesAnotherAccount()
    {
        var alice = Tokens.ClientFor(cluster, await Tokens.CreateAsync(cluster, "bulk-alice"));
        var bob = Tokens.ClientFor(cluster, await Tokens.CreateAsync(cluster, "bulk-bob"));
        var failed = new[] { await alice.SubmitAsync("exit 3"), await alice.SubmitAsync("exit 4") };
        var ok = await alice.SubmitAsync("true");
        var bobs = await bob.SubmitAsync("exit 5");
        foreach (var id in failed.Append(ok).Append(bobs)) await _admin.WaitForFinishAsync(id);
        var filter = new { state = "FAILED", reason = "NonZeroExitCode", since = DateTime.UtcNow.AddMinutes(-5).ToString("O") };

        var (status, body) = await OpsKit.PostAsync(alice, "/jobs/requeue", filter);
        var (_, again) = await OpsKit.PostAsync(alice, "/jobs/requeue", filter);
        var (otherAccount, _) = await OpsKit.PostAsync(alice, "/jobs/requeue", new { state = "FAILED", account = "bulk-bob" });
        var (badState, badBody) = await OpsKit.PostAsync(alice, "/jobs/requeue", new { state = "PENDING", colour = "red" });

        status.Should().Be(HttpStatusCode.OK, body?.ToJsonString());
        var copies = body!["resubmitted"]!.AsArray().ToDictionary(c => c!["job_id"]!.GetValue<string>(), c => c!["new_job_id"]!.GetValue<string>());
        copies.Keys.Should().BeEquivalentTo(failed, "alice's failed jobs match; her completed job and bob's job do not");
        again!["resubmitted"]!.AsArray().ToDictionary(c => c!["job_id"]!.GetValue<string>(), c => c!["new_job_id"]!.GetValue<string>())
            .Should().BeEquivalentTo(copies, "the same request again answers the same copies: each job is resubmitted once");
        foreach (var (old, copy) in copies)
        {
            (await alice.QueryAsync(copy))["detail"]!["account"]!.GetValue<string>().Should().Be("bulk-alice");
            (await OpsKit.EventsAsync(alice, old)).Where(e => e["reason"]!.GetValue<string>() == "Resubmitted").Should().ContainSingle()
                .Which["message"]!.GetValue<string>().Should().Contain($"job {copy}").And.Contain("bulk-alice");
        }
        otherAccount.Should().Be(HttpStatusCode.BadRequest, "a non-admin names only its own account");
        badState.Should().Be(HttpStatusCode.BadRequest);
        badBody!["errors"]!.AsObject().Select(e => e.Key).Should().BeEquivalentTo(["state", "colour"]);
        ConductorClient.State(await bob.QueryAsync(bobs)).Should().Be("FAILED");
        (await cluster.Database.ScalarAsync<long>($"SELECT count(*) FROM jobs WHERE account = 'bulk-bob'")).Should().Be(1, "nothing of bob's was copied");
    }
}
