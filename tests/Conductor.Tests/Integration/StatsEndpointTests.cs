using System.Net;
using System.Text.Json.Nodes;
using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Integration;

/// <summary>
/// /stats and /dashboard against a real worker: after a mixed workload (completed, failed,
/// cancelled, running and pending jobs) every figure equals a direct SQL count of the rows.
/// </summary>
public sealed class StatsEndpointTests(ClusterFixture cluster) : IClassFixture<ClusterFixture>
{
    private ConductorClient Client => cluster.Client;
    private TestDatabase Db => cluster.Database;

    [Fact]
    public async Task Stats_EqualDirectSqlCounts_AfterAMixedWorkload()
    {
        var (blocker, waiting) = await RunMixedWorkloadAsync();
        try
        {
            var stats = await Client.GetJsonAsync("/stats");

            foreach (var state in new[] { "PENDING", "RUNNING", "COMPLETED", "FAILED", "CANCELLED" })
                stats["jobs_by_state"]![state]!.GetValue<long>().Should().Be(await CountAsync($"state = '{state}'"), $"{state} is counted from the rows");
            stats["queue_depth"]!.GetValue<long>().Should().Be(await CountAsync("state = 'PENDING'")).And.BeGreaterThan(0);
            var node = stats["nodes"]!.AsArray().Single()!;
            node["cores_total"]!.GetValue<int>().Should().Be(2);
            node["cores_used"]!.GetValue<int>().Should().Be((int)await Db.ScalarAsync<long>(
                "SELECT coalesce(sum(cpus), 0) FROM allocations WHERE released_at IS NULL"), "cores used come from the active allocations");
            var finished = await CountAsync("state IN ('COMPLETED','FAILED','CANCELLED') AND end_time >= now() - interval '24 hours'");
            stats["finished_in_window"]!["total"]!.GetValue<long>().Should().Be(finished);
            stats["success_rate"]!.GetValue<double>().Should().BeApproximately(await CountAsync("state = 'COMPLETED'") / (double)finished, 1e-4,
                "success rate is COMPLETED over finished");
            var mean = await Db.ScalarAsync<double>(
                "SELECT avg(extract(epoch FROM end_time - start_time))::float8 FROM jobs WHERE end_time >= now() - interval '24 hours'");
            stats["mean_run_time_seconds"]!.GetValue<double>().Should().BeApproximately(mean, 1e-3);
            stats["p95_run_time_seconds"]!.GetValue<double>().Should().BeGreaterThanOrEqualTo(stats["mean_run_time_seconds"]!.GetValue<double>() * 0.5);
        }
        finally
        {
            await Client.CancelAsync(waiting);
            await Client.CancelAsync(blocker);
            await Client.WaitForFinishAsync(blocker);
        }
    }

    [Fact]
    public async Task Dashboard_ShowsTotalsNodeUtilisationAndRecentJobsNewestFirst()
    {
        var id = await Client.SubmitAsync("true", new { name = "dash" });
        await Client.WaitForFinishAsync(id);

        var dashboard = await Client.GetJsonAsync("/dashboard?recent=5");

        dashboard["summary"]!["total_jobs"]!.GetValue<long>().Should().Be(await CountAsync("true"));
        dashboard["nodes"]!.AsArray().Single()!["name"]!.GetValue<string>().Should().Be(cluster.NodeName);
        dashboard["cluster"]!["cpus"]!.GetValue<int>().Should().Be(2);
        var recent = dashboard["recent_jobs"]!.AsArray();
        recent.Should().HaveCountLessThanOrEqualTo(5);
        recent[0]!["job_id"]!.GetValue<string>().Should().Be(id, "the newest job comes first");
        recent[0]!["name"]!.GetValue<string>().Should().Be("dash");
    }

    [Fact]
    public async Task Stats_RejectsAMalformedWindow_WithAProblemNamingTheField()
    {
        var response = await Client.Http.GetAsync("/stats?window=yesterday");

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!["field"]!.GetValue<string>().Should().Be("window");
    }

    /// <summary>Two completed, one failed, one cancelled, a 2-core blocker RUNNING and one job PENDING behind it.</summary>
    private async Task<(string Blocker, string Waiting)> RunMixedWorkloadAsync()
    {
        foreach (var script in new[] { "sleep 0.2", "true", "exit 1" })
            await Client.WaitForFinishAsync(await Client.SubmitAsync(script));
        var blocker = await Client.SubmitAsync("sleep 120", new { cpus_per_task = 2 });
        await Client.WaitForStateAsync(blocker, "RUNNING");
        var waiting = await Client.SubmitAsync("true");
        var cancelled = await Client.SubmitAsync("true");
        (await Client.CancelAsync(cancelled)).Status.Should().Be(HttpStatusCode.OK);
        await Client.WaitForStateAsync(cancelled, "CANCELLED");
        return (blocker, waiting);
    }

    private Task<long> CountAsync(string where) => Db.ScalarAsync<long>($"SELECT count(*) FROM jobs WHERE {where}");
}
