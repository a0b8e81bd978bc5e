using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Integration;

/// <summary>
/// <c>Conductor.Worker.dll health-check</c> as cron runs it: each fault injected into the
/// database turns its check CRITICAL or WARNING, and <c>--repair</c> brings it back to OK.
/// Every test starts from empty tables plus one healthy node running one job.
/// </summary>
public sealed class HealthCheckCommandTests(ListeningApiFixture ops) : IClassFixture<ListeningApiFixture>, IAsyncLifetime
{
    private const string Node = "n1";
    private TestDatabase Db => ops.Database;

    public async Task InitializeAsync()
    {
        await ops.TruncateAsync();
        await Seed.NodeAsync(Db, Node, cpus: 4);
        await Seed.RunningJobAsync(Db, Node, 0);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task HealthyCluster_ExitsZero_WithOneOkLinePerCheck()
    {
        var run = await ops.RunAsync("health-check");

        run.ExitCode.Should().Be(0, $"nothing is wrong with the cluster\n{run}");
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Should().Contain(l => l.StartsWith("OK: database: reachable"), "the database check comes first");
        lines.Should().Contain(l => l.StartsWith("OK: redis:")).And.Contain(l => l.StartsWith("OK: api:"));
        foreach (var check in new[] { "node_heartbeats", "allocations_match_running_jobs", "no_core_held_twice", "cores_within_capacity",
                     "no_allocation_of_finished_job", "no_running_job_on_down_node", "pending_while_cores_free", "running_job_pids_alive" })
            lines.Should().ContainSingle(l => l.StartsWith($"OK: {check}:"), $"each invariant prints exactly one line\n{run}");
    }

    [Fact]
    public async Task LeakedAllocation_IsCritical_AndRepairReleasesIt()
    {
        var finished = await Seed.JobAsync(Db, "FAILED", Node, endedAge: "1 minute", reason: "NonZeroExitCode");
        await Seed.AllocationAsync(Db, finished, Node, [1]);

        var before = await ops.RunAsync("health-check", "--json");
        var repaired = await ops.RunAsync("health-check", "--json", "--repair");

        before.ExitCode.Should().Be(2, before.ToString());
        before.Check("no_allocation_of_finished_job")["status"]!.GetValue<string>().Should().Be("CRITICAL", "a FAILED job still holds core 1");
        before.Check("allocations_match_running_jobs")["status"]!.GetValue<string>().Should().Be("CRITICAL", "held cores exceed running cores");
        repaired.ExitCode.Should().Be(0, $"releasing the leak restores every invariant\n{repaired}");
        RepairCount(repaired, "release_leaked_allocations").Should().Be(1);
        (await Db.ScalarAsync<long>($"SELECT count(*) FROM allocations WHERE job_id = {finished} AND released_at IS NULL"))
            .Should().Be(0, "the repair released the leaked allocation");
    }

    [Fact]
    public async Task CoreHeldTwice_IsCritical_AndRepairFreesItWhenTheOtherHolderIsALeak()
    {
        var cancelled = await Seed.JobAsync(Db, "CANCELLED", Node, endedAge: "1 minute", reason: "CancelledByUser");
        await Seed.AllocationAsync(Db, cancelled, Node, [0]);

        var before = await ops.RunAsync("health-check", "--json");
        var repaired = await ops.RunAsync("health-check", "--json", "--repair");

        before.ExitCode.Should().Be(2, before.ToString());
        var doubled = before.Check("no_core_held_twice");
        doubled["status"]!.GetValue<string>().Should().Be("CRITICAL", "core 0 is held by the running job and by the leak");
        doubled["count"]!.GetValue<long>().Should().Be(1);
        doubled["message"]!.GetValue<string>().Should().Contain($"core 0 of {Node}");
        repaired.ExitCode.Should().Be(0, repaired.ToString());
        repaired.Check("no_core_held_twice")["status"]!.GetValue<string>().Should().Be("OK");
    }

    [Fact]
    public async Task CoreHeldTwiceByTwoRunningJobs_StaysCritical_BecauseNoRepairIsSafe()
    {
        await Seed.RunningJobAsync(Db, Node, 0);

        var repaired = await ops.RunAsync("health-check", "--json", "--repair");

        repaired.ExitCode.Should().Be(2, "killing either running job is a person's decision, not an automatic repair");
        repaired.Check("no_core_held_twice")["status"]!.GetValue<string>().Should().Be("CRITICAL");
        repaired.Json()["repairs"]!.AsArray().Should().BeEmpty("nothing safe could be done");
    }

    [Fact]
    public async Task RunningJobOnDownNode_IsCritical_AndRepairFailsItAsNodeFail()
    {
        await Seed.NodeAsync(Db, "n2", state: "Down", heartbeatAge: "10 minutes");
        var stranded = await Seed.RunningJobAsync(Db, "n2", 0, 1);

        var before = await ops.RunAsync("health-check", "--json");
        var repaired = await ops.RunAsync("health-check", "--json", "--repair");

        before.ExitCode.Should().Be(2, before.ToString());
        before.Check("no_running_job_on_down_node")["count"]!.GetValue<long>().Should().Be(1);
        repaired.ExitCode.Should().Be(0, repaired.ToString());
        RepairCount(repaired, "fail_jobs_of_down_nodes").Should().Be(1);
        (await Db.ScalarAsync<string>($"SELECT state || ' ' || reason FROM jobs WHERE id = {stranded}"))
            .Should().Be("FAILED NodeFail", "a dead node's RUNNING jobs end as NodeFail (FAULT_TOLERANCE.md)");
        (await Db.ScalarAsync<long>($"SELECT count(*) FROM job_events WHERE job_id = {stranded} AND to_state = 'FAILED' AND reason = 'NodeFail'"))
            .Should().Be(1, "the repair goes through the normal transition, event row included");
        (await Db.ScalarAsync<long>($"SELECT count(*) FROM allocations WHERE job_id = {stranded} AND released_at IS NULL"))
            .Should().Be(0, "the transition releases the allocation");
    }

    [Fact]
    public async Task RunningJobOnDownNode_ThatAskedForRetries_IsRetried_AsRecoveryAndTheWorkerWould()
    {
        await Seed.NodeAsync(Db, "n2", state: "Down", heartbeatAge: "10 minutes");
        var retried = await Seed.RunningJobAsync(Db, "n2", 0);
        await Db.ExecuteAsync($"UPDATE jobs SET max_retries = 1, retry_delay_seconds = 0 WHERE id = {retried}");

        var repaired = await ops.RunAsync("health-check", "--json", "--repair");

        // The fixture's API runs the same reaper: whichever pass takes the job's end first writes
        // it (the other finds nothing to do), so the repair reports it at most once.
        RepairCount(repaired, "fail_jobs_of_down_nodes").Should().BeLessThanOrEqualTo(1, repaired.ToString());
        await Eventually.Until(() => Db.ScalarAsync<string>($"SELECT state || ' ' || reason || ' ' || attempt FROM jobs WHERE id = {retried}"),
            s => s == "PENDING NodeFail 1", TimeSpan.FromSeconds(30),
            "a failure of a job that asked for retries is retried, whoever writes it; the attempt is kept");
        (await Db.ScalarAsync<long>($"SELECT count(*) FROM job_events WHERE job_id = {retried} AND to_state = 'PENDING' AND reason = 'NodeFail'"))
            .Should().Be(1);
        (await Db.ScalarAsync<long>($"SELECT count(*) FROM allocations WHERE job_id = {retried} AND released_at IS NULL"))
            .Should().Be(0, "the lost attempt's cores are free again");
    }

    [Fact]
    public async Task StaleHeartbeat_IsWarning_AndRepairMarksTheNodeDownAndFailsItsJobs()
    {
        await Seed.NodeAsync(Db, "n3", heartbeatAge: "5 minutes");
        var job = await Seed.RunningJobAsync(Db, "n3", 2);

        var before = await ops.RunAsync("health-check");
        // No repair judges a node while PostgreSQL has been up for less than the lease (a test run's server may be new).
        await Eventually.Until(() => Db.ScalarAsync<bool>("SELECT pg_postmaster_start_time() < now() - interval '30 seconds'"), up => up,
            TimeSpan.FromSeconds(40), "PostgreSQL has been up for a whole lease");
        var repaired = await ops.RunAsync("health-check", "--repair");

        before.ExitCode.Should().Be(1, $"a silent node is a WARNING, nothing is broken yet\n{before}");
        before.Stdout.Should().Contain("WARNING: node_heartbeats: 1 UP node(s) with a heartbeat older than 30s: n3 silent for");
        repaired.ExitCode.Should().Be(0, repaired.ToString());
        repaired.Stdout.Should().Contain("REPAIRED: mark_silent_nodes_down: marked DOWN 1").And.Contain("REPAIRED: fail_jobs_of_down_nodes");
        (await Db.ScalarAsync<string>("SELECT state FROM nodes WHERE name = 'n3'")).Should().Be("Down");
        (await Db.ScalarAsync<string>($"SELECT reason FROM jobs WHERE id = {job}")).Should().Be("NodeFail");
    }

    [Fact]
    public async Task OldPendingJobWhileCoresAreFree_IsWarning()
    {
        var waiting = await Seed.JobAsync(Db, "PENDING", submittedAge: "1 hour");

        var run = await ops.RunAsync("health-check", "--json", "--pending-threshold", "10m");

        run.ExitCode.Should().Be(1, run.ToString());
        run.Check("pending_while_cores_free")["message"]!.GetValue<string>().Should().Contain($"job {waiting} ", "three of n1's four cores are free");
    }

    [Fact]
    public async Task JsonOutput_IsOneDocument_WithStatusChecksAndRepairs()
    {
        var run = await ops.RunAsync("health-check", "--json", "--repair");

        var json = run.Json();
        json["status"]!.GetValue<string>().Should().Be("OK");
        json["repairs"]!.AsArray().Should().BeEmpty("a healthy cluster needs no repair");
        var checks = json["checks"]!.AsArray();
        checks.Should().HaveCountGreaterThan(8);
        foreach (var check in checks)
        {
            check!["name"]!.GetValue<string>().Should().NotBeEmpty();
            check["status"]!.GetValue<string>().Should().BeOneOf("OK", "WARNING", "CRITICAL", "UNKNOWN");
            check["message"]!.GetValue<string>().Should().NotBeEmpty();
        }
    }

    [Fact]
    public async Task UnreachableApi_IsCritical_WithExitCodeTwo()
    {
        var run = await ops.RunAsync("health-check", "--api-url", "http://127.0.0.1:9");

        run.ExitCode.Should().Be(2, run.ToString());
        run.Stdout.Should().Contain("CRITICAL: api: http://127.0.0.1:9/health unreachable");
    }

    [Fact]
    public async Task UnreachableDatabase_IsCritical_AndTheInvariantsAreUnknown()
    {
        var run = await OperationsCommand.RunAsync("Host=127.0.0.1;Port=9;Username=conductor;Database=nowhere", ops.DataDir, ops.ApiUrl,
            ["health-check", "--json"]);

        run.ExitCode.Should().Be(2, run.ToString());
        run.Check("database")["status"]!.GetValue<string>().Should().Be("CRITICAL");
        run.Check("invariants")["status"]!.GetValue<string>().Should().Be("UNKNOWN", "nothing can be said about rows we cannot read");
    }

    [Fact]
    public async Task UnknownArgument_ExitsThree_WithUsage()
    {
        var run = await ops.RunAsync("health-check", "--repiar");

        run.ExitCode.Should().Be(3, "a typo in a cron line must not pass for a healthy cluster");
        run.Stderr.Should().Contain("usage: health-check");
    }

    private static int RepairCount(CommandOutput run, string name) =>
        run.Json()["repairs"]!.AsArray().Where(r => r!["name"]!.GetValue<string>() == name).Select(r => r!["count"]!.GetValue<int>()).Sum();
}
