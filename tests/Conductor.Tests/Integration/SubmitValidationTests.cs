using System.Net;
using System.Text.Json.Nodes;
using Conductor.Core.Nodes;
using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Integration;

/// <summary>Every invalid submission gets a 400 problem+json naming the field, and creates nothing.</summary>
public sealed class SubmitValidationTests(IdleClusterFixture cluster) : IClassFixture<IdleClusterFixture>, IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        await using var db = cluster.Database.Context();
        if (db.Nodes.Any()) return;
        db.Nodes.Add(new Node
        {
            Name = "big", Partition = "default", Cpus = 4, CoreIds = [0, 1, 2, 3], MemoryMb = 8192,
            InstanceId = Guid.NewGuid(), RegisteredAt = DateTime.UtcNow, LastHeartbeat = DateTime.UtcNow,
        });
        await db.SaveChangesAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public static TheoryData<string, string, string> BadBodies => new()
    {
        { "blank script", """{"job":{},"script":"   \n"}""", "script" },
        { "missing script", """{"job":{}}""", "script" },
        { "script not a string", """{"job":{},"script":42}""", "script" },
        { "cpus_per_task zero", """{"job":{"cpus_per_task":0},"script":"true"}""", "job.cpus_per_task" },
        { "ntasks negative", """{"job":{"ntasks_per_node":-1},"script":"true"}""", "job.ntasks_per_node" },
        { "cpus non-numeric", """{"job":{"cpus_per_task":"many"},"script":"true"}""", "job.cpus_per_task" },
        { "cpus fractional", """{"job":{"cpus_per_task":1.5},"script":"true"}""", "job.cpus_per_task" },
        { "cpus overflow", """{"job":{"cpus_per_task":99999999999999999999},"script":"true"}""", "job.cpus_per_task" },
        { "time_limit garbage", """{"job":{"time_limit":"soon"},"script":"true"}""", "job.time_limit" },
        { "time_limit too many parts", """{"job":{"time_limit":"1:2:3:4"},"script":"true"}""", "job.time_limit" },
        { "time_limit negative", """{"job":{"time_limit":"-5"},"script":"true"}""", "job.time_limit" },
        { "memory garbage", """{"job":{"memory_per_node":"lots"},"script":"true"}""", "job.memory_per_node" },
        { "memory bad unit", """{"job":{"memory_per_node":"16Q"},"script":"true"}""", "job.memory_per_node" },
        { "environment not an object", """{"job":{"environment":"A=1"},"script":"true"}""", "job.environment" },
        { "environment array", """{"job":{"environment":["A=1"]},"script":"true"}""", "job.environment" },
        { "environment nested value", """{"job":{"environment":{"A":{"b":1}}},"script":"true"}""", "job.environment.A" },
        { "environment bad name", """{"job":{"environment":{"A-B":"1"}},"script":"true"}""", "job.environment.A-B" },
        { "malformed json", """{"job":{"name":"x",},"script":"true"}""", "body" },
        { "not json at all", "hello", "body" },
        { "body is an array", """[{"script":"true"}]""", "body" },
        { "job not an object", """{"job":"x","script":"true"}""", "job" },
        { "more cores than any node", """{"job":{"cpus_per_task":5},"script":"true"}""", "job.cpus_per_task" },
        { "tasks x cpus beyond the node", """{"job":{"ntasks_per_node":3,"cpus_per_task":2},"script":"true"}""", "job.cpus_per_task" },
        { "more memory than any node", """{"job":{"memory_per_node":"64G"},"script":"true"}""", "job.memory_per_node" },
        { "unknown partition", """{"job":{"partition":"gpu"},"script":"true"}""", "job.partition" },
        { "priority out of range", """{"job":{"priority":5000},"script":"true"}""", "job.priority" },
        { "relative working directory", """{"job":{"current_working_directory":"data/run"},"script":"true"}""", "job.current_working_directory" },
        { "name not a string", """{"job":{"name":12},"script":"true"}""", "job.name" },
        { "exclusive not a boolean", """{"job":{"exclusive":"maybe"},"script":"true"}""", "job.exclusive" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task InvalidSubmit_Answers400NamingTheField_AndCreatesNoJob(string why, string body, string field)
    {
        var before = await cluster.Database.ScalarAsync<long>("SELECT count(*) FROM jobs");

        var response = await cluster.Client.PostRawAsync("/jobs/submit", body);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest, why);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        problem["field"]!.GetValue<string>().Should().Be(field, why);
        problem["errors"]![field].Should().NotBeNull(why);
        (await cluster.Database.ScalarAsync<long>("SELECT count(*) FROM jobs")).Should().Be(before, $"a rejected submit ({why}) creates nothing");
    }

    [Fact]
    public async Task OversizedScript_IsRejected_AndCreatesNoJob()
    {
        var before = await cluster.Database.ScalarAsync<long>("SELECT count(*) FROM jobs");
        var script = "echo " + new string('x', 1024 * 1024 + 1);

        var response = await cluster.Client.PostRawAsync("/jobs/submit", JsonSerializerFor(script));

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        problem["field"]!.GetValue<string>().Should().Be("script");
        (await cluster.Database.ScalarAsync<long>("SELECT count(*) FROM jobs")).Should().Be(before);
    }

    [Fact]
    public async Task OversizedBody_IsRejected_BeforeParsing()
    {
        var response = await cluster.Client.PostRawAsync("/jobs/submit", new string(' ', 3 * 1024 * 1024) + "{}");

        response.StatusCode.Should().Be(HttpStatusCode.RequestEntityTooLarge);
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!["field"]!.GetValue<string>().Should().Be("body");
    }

    [Theory]
    [InlineData("30")]
    [InlineData("5:00")]
    [InlineData("1:30:00")]
    [InlineData("2-12")]
    [InlineData("2-12:30")]
    [InlineData("2-12:30:15")]
    public async Task EveryScnsTimeFormat_IsAccepted(string limit)
    {
        var id = await cluster.Client.SubmitAsync("true", new { time_limit = limit });

        var job = await cluster.Client.QueryAsync(id);

        job["time"]!["limit_time"]!.GetValue<string>().Should().NotBe("UNLIMITED");
        job["state"]!.GetValue<string>().Should().Be("PENDING");
    }

    [Fact]
    public async Task CancelOfPendingJob_EndsCancelledAtOnce_AndRepeatsAnswerOk()
    {
        var id = await cluster.Client.SubmitAsync("echo never runs");

        var (status, body) = await cluster.Client.CancelAsync(id);
        var job = await cluster.Client.QueryAsync(id);
        var (again, againBody) = await cluster.Client.CancelAsync(id);

        status.Should().Be(HttpStatusCode.OK);
        body!["state"]!.GetValue<string>().Should().Be("CANCELLED", "a PENDING job is cancelled at once, no worker involved");
        job["state"]!.GetValue<string>().Should().Be("CANCELLED");
        job["reason"]!.GetValue<string>().Should().Be("CancelledByUser");
        again.Should().Be(HttpStatusCode.OK);
        againBody!["state"]!.GetValue<string>().Should().Be("CANCELLED");
        (await cluster.Database.ScalarAsync<long>($"SELECT count(*) FROM job_events WHERE job_id = {id}")).Should().Be(2,
            "submitted and cancelled: the repeated cancel changes nothing");
    }

    [Fact]
    public async Task ListRejectsAnUnknownState()
    {
        var response = await cluster.Client.Http.GetAsync("/jobs?state=SLEEPING");

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!["field"]!.GetValue<string>().Should().Be("state");
    }

    private static string JsonSerializerFor(string script) => System.Text.Json.JsonSerializer.Serialize(new { job = new { }, script });
}
