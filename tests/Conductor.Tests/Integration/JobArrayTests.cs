using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Integration;

/// <summary>Job arrays (<c>"array": "0-19%2"</c>): one job per task, task ids in the environment, %N honoured across nodes.</summary>
public sealed class JobArrayTests(ClusterFixture cluster) : IClassFixture<ClusterFixture>
{
    private async Task<List<string>> SubmitArrayAsync(string array, string script, string? key = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/jobs/submit")
        {
            Content = new StringContent(JsonSerializer.Serialize(new { job = new { array }, script }), System.Text.Encoding.UTF8, "application/json"),
        };
        if (key is not null) request.Headers.Add("Idempotency-Key", key);
        using var response = await cluster.Client.Http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.Created, body);
        var answer = JsonNode.Parse(body)!;
        var ids = answer["job_ids"]!.AsArray().Select(n => n!.GetValue<string>()).ToList();
        answer["job_id"]!.GetValue<string>().Should().Be(ids[0], "the array is known by its first task's id, as in Slurm");
        return ids;
    }

    [Fact]
    public async Task ArrayOfTwenty_WithPercentTwo_NeverRunsMoreThanTwo_EvenWithFourFreeCores()
    {
        // A second 2-core node: four cores in all, so only the %2 limit can hold the array to two.
        await using var second = WorkerProcess.Start(cluster.Settings() with { Name = cluster.NodeName + "-b" });
        await Eventually.Until(async () => (await cluster.Client.GetJsonAsync("/nodes"))["nodes"]!.AsArray().Count, n => n == 2,
            TimeSpan.FromSeconds(60), "the second node registers");

        var ids = await SubmitArrayAsync("0-19%2", "echo \"$SLURM_ARRAY_JOB_ID $SLURM_ARRAY_TASK_ID\"; sleep 0.3");
        var arrayId = ids[0];

        var maxRunning = 0L;
        await Eventually.Until(async () =>
        {
            var running = await cluster.Database.ScalarAsync<long>($"SELECT count(*) FROM jobs WHERE array_job_id = {arrayId} AND state = 'RUNNING'");
            maxRunning = Math.Max(maxRunning, running);
            return await cluster.Database.ScalarAsync<long>($"SELECT count(*) FROM jobs WHERE array_job_id = {arrayId} AND state = 'COMPLETED'");
        }, done => done == 20, TimeSpan.FromSeconds(120), "all twenty tasks complete");

        ids.Should().HaveCount(20);
        maxRunning.Should().BeLessThanOrEqualTo(2, "%2 allows at most two tasks at once");
        maxRunning.Should().Be(2, "with four free cores the array does use both of its slots");
        (await cluster.Database.ScalarAsync<long>(
            $"SELECT count(*) FROM job_events e JOIN jobs j ON j.id = e.job_id WHERE j.array_job_id = {arrayId} AND e.to_state = 'RUNNING'"))
            .Should().Be(20, "each task ran exactly once");
        var seventh = await cluster.Client.QueryAsync(ids[7]);
        seventh["job_log"]!["stdout"]!.GetValue<string>().Should().Be($"{arrayId} 7\n", "each task sees the array id and its own task id");
    }

    [Fact]
    public async Task ArraySubmit_WithAnIdempotencyKey_AnswersTheSameTasksAgain()
    {
        var key = $"array-{Guid.NewGuid():N}";

        var first = await SubmitArrayAsync("1,3,5-6", "true", key);
        var again = await SubmitArrayAsync("1,3,5-6", "true", key);

        first.Should().HaveCount(4, "tasks 1, 3, 5 and 6");
        again.Should().Equal(first, "a retried array submit creates nothing new");
    }

    [Theory]
    [InlineData("""{"job":{"array":"5-1"},"script":"true"}""", "job.array")]
    [InlineData("""{"job":{"array":"0-9%0"},"script":"true"}""", "job.array")]
    [InlineData("""{"job":{"array":"a-b"},"script":"true"}""", "job.array")]
    [InlineData("""{"job":{"array":"0-20000"},"script":"true"}""", "job.array")]
    public async Task InvalidArray_Answers400NamingTheField(string body, string field)
    {
        var response = await cluster.Client.PostRawAsync("/jobs/submit", body);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!["field"]!.GetValue<string>().Should().Be(field);
    }

    [Fact]
    public async Task BulkSubmit_OfAnArray_IsRefused()
    {
        var response = await cluster.Client.PostRawAsync("/jobs/submit/bulk", """[{"job":{"array":"0-3"},"script":"true"}]""");

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!["field"]!.GetValue<string>().Should().Be("[0].job.array");
    }
}
