using System.Net;
using System.Text.Json.Nodes;
using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Integration;

/// <summary>Slurm-style dependencies (afterok, afternotok, afterany, combined with ',') and begin_time, with a real worker.</summary>
public sealed class DependencyTests(ClusterFixture cluster) : IClassFixture<ClusterFixture>
{
    private const string WaitForGo = "while [ ! -e \"$CONDUCTOR_JOB_DIR/go\" ]; do sleep 0.1; done\n";

    private Task Release(string id) => File.WriteAllTextAsync(Path.Combine(cluster.DataDir, "jobs", id, "go"), "");

    private Task<JsonNode> WaitSpawnedAsync(string id) =>
        Eventually.Until(() => cluster.Client.QueryAsync(id), j => j["pid"] is not null, TimeSpan.FromSeconds(30), $"job {id} is spawned");

    private static DateTime Time(JsonNode job, string name) => job["time"]![name]!.GetValue<DateTime>();

    [Fact]
    public async Task AfterOk_WaitsForItsParentToComplete_ThenRuns()
    {
        var parent = await cluster.Client.SubmitAsync(WaitForGo);
        await WaitSpawnedAsync(parent);
        var child = await cluster.Client.SubmitAsync("echo child", new { dependency = $"afterok:{parent}" });

        var waiting = await cluster.Client.QueryAsync(child);
        await Release(parent);
        var done = await cluster.Client.WaitForStateAsync(child, "COMPLETED");

        ConductorClient.State(waiting).Should().Be("PENDING", "a free core is not enough while the parent runs");
        waiting["reason"]!.GetValue<string>().Should().Be("Dependency");
        var parentJob = await cluster.Client.QueryAsync(parent);
        Time(done, "start_time").Should().BeOnOrAfter(Time(parentJob, "end_time"), "afterok starts only once the parent completed");
    }

    [Fact]
    public async Task AfterOk_OnAFailedParent_FailsTheWholeChain_AsDependencyNeverSatisfied()
    {
        var parent = await cluster.Client.SubmitAsync("exit 1");
        var child = await cluster.Client.SubmitAsync("echo never", new { dependency = $"afterok:{parent}" });
        var grandchild = await cluster.Client.SubmitAsync("echo never", new { dependency = $"afterany:{parent},afterok:{child}" });

        var failedChild = await cluster.Client.WaitForStateAsync(child, "FAILED");
        var failedGrandchild = await cluster.Client.WaitForStateAsync(grandchild, "FAILED");

        failedChild["reason"]!.GetValue<string>().Should().Be("DependencyNeverSatisfied", "its parent failed, so afterok can never hold");
        failedChild["time"]!["start_time"].Should().BeNull("a job whose dependency failed never runs");
        failedGrandchild["reason"]!.GetValue<string>().Should().Be("DependencyNeverSatisfied", "the failure propagates down the chain");
    }

    [Fact]
    public async Task AfterNotOk_RunsAfterAFailure_AndAfterAny_AfterEitherEnd()
    {
        var failing = await cluster.Client.SubmitAsync("exit 2");
        var succeeding = await cluster.Client.SubmitAsync("true");
        var onFailure = await cluster.Client.SubmitAsync("echo cleanup", new { dependency = $"afternotok:{failing}" });
        var onAny = await cluster.Client.SubmitAsync("echo report", new { dependency = $"afterany:{failing}:{succeeding}" });
        var notOnSuccess = await cluster.Client.SubmitAsync("echo never", new { dependency = $"afternotok:{succeeding}" });

        (await cluster.Client.WaitForStateAsync(onFailure, "COMPLETED"))["job_log"]!["stdout"]!.GetValue<string>().Should().Be("cleanup\n");
        await cluster.Client.WaitForStateAsync(onAny, "COMPLETED");
        (await cluster.Client.WaitForStateAsync(notOnSuccess, "FAILED"))["reason"]!.GetValue<string>()
            .Should().Be("DependencyNeverSatisfied", "afternotok on a job that completed can never hold");
    }

    [Fact]
    public async Task BeginTime_InTheFuture_HoldsTheJobUntilThen()
    {
        var begin = DateTime.UtcNow.AddSeconds(3);
        var id = await cluster.Client.SubmitAsync("echo later", new { begin_time = begin.ToString("O") });

        var waiting = await cluster.Client.QueryAsync(id);
        var done = await cluster.Client.WaitForStateAsync(id, "COMPLETED", TimeSpan.FromSeconds(30));

        ConductorClient.State(waiting).Should().Be("PENDING");
        waiting["reason"]!.GetValue<string>().Should().Be("BeginTime", "the node is idle; only the begin time holds it back");
        Time(done, "start_time").Should().BeOnOrAfter(begin.AddMilliseconds(-1), "it is not started before its begin time");
    }

    [Theory]
    [InlineData("""{"job":{"dependency":"after:1"},"script":"true"}""", "job.dependency")]
    [InlineData("""{"job":{"dependency":"afterok"},"script":"true"}""", "job.dependency")]
    [InlineData("""{"job":{"dependency":"afterok:x"},"script":"true"}""", "job.dependency")]
    [InlineData("""{"job":{"dependency":"afterok:987654321"},"script":"true"}""", "job.dependency")]
    [InlineData("""{"job":{"begin_time":"tomorrow"},"script":"true"}""", "job.begin_time")]
    [InlineData("""{"job":{"max_retries":-1},"script":"true"}""", "job.max_retries")]
    [InlineData("""{"job":{"max_retries":1000},"script":"true"}""", "job.max_retries")]
    [InlineData("""{"job":{"retry_delay":"soon"},"script":"true"}""", "job.retry_delay")]
    [InlineData("""{"job":{"retry_backoff":"random"},"script":"true"}""", "job.retry_backoff")]
    public async Task InvalidSchedulingFields_Answer400NamingTheField(string body, string field)
    {
        var before = await cluster.Database.ScalarAsync<long>("SELECT count(*) FROM jobs");

        var response = await cluster.Client.PostRawAsync("/jobs/submit", body);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!["field"]!.GetValue<string>().Should().Be(field);
        (await cluster.Database.ScalarAsync<long>("SELECT count(*) FROM jobs")).Should().Be(before, "a rejected submit creates nothing");
    }
}
