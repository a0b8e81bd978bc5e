using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Contract;

/// <summary>Nothing silently ignored, and the edges a new user trips over: each answers a 4xx naming the field.</summary>
public sealed class StrictInputTests(IdleClusterFixture cluster) : IClassFixture<IdleClusterFixture>
{
    private ConductorClient Client => cluster.Client;

    public static TheoryData<string, string, string, string> Misspelt => new()
    {
        { "/jobs/submit", """{"job":{"cpu_per_task":2},"script":"true"}""", "job.cpu_per_task", "did you mean 'job.cpus_per_task'?" },
        { "/jobs/submit", """{"job":{"time_limt":"5"},"script":"true"}""", "job.time_limt", "did you mean 'job.time_limit'?" },
        { "/jobs/submit", """{"job":{},"array":"0-3","script":"true"}""", "array", "belongs inside 'job': did you mean 'job.array'?" },
        { "/jobs/submit", """{"job":{},"begin_time":"2030-01-01T00:00:00Z","script":"true"}""", "begin_time", "did you mean 'job.begin_time'?" },
        { "/jobs/submit", """{"job":{"script":"true"},"script":"true"}""", "job.script", "belongs beside 'job'" },
        { "/jobs/submit", """{"job":{},"scrpit":"true","script":"true"}""", "scrpit", "did you mean 'script'?" },
        { "/jobs/submit", """{"job":{"zzzzzzzz":1},"script":"true"}""", "job.zzzzzzzz", "is not a field of 'job'" },
        { "/jobs/submit/bulk", """[{"job":{"nmae":"x"},"script":"true"}]""", "[0].job.nmae", "did you mean '[0].job.name'?" },
        { "/jobs/submit", """{"job":{"begin_time":"0001-01-01T00:00:00Z"},"script":"true"}""", "job.begin_time", "between 1970 and 2100" },
        { "/jobs/submit", """{"job":{"begin_time":"2200-01-01T00:00:00Z"},"script":"true"}""", "job.begin_time", "between 1970 and 2100" },
        { "/scheduled-jobs", """{"cron":"0 0 30 2 *","job_template":{"job":{},"script":"true"}}""", "cron", "never fires" },
        { "/scheduled-jobs", """{"cron":"0 * * * *","job_template":{"job":{"cpus":2},"script":"true"}}""", "job_template.job.cpus", "did you mean 'job_template.job.cpus_per_task'?" },
    };

    [Theory]
    [MemberData(nameof(Misspelt))]
    public async Task AnUnknownMisplacedOrImpossibleField_Is400NamingIt_AndCreatesNothing(string path, string body, string field, string message)
    {
        var before = await cluster.Database.ScalarAsync<long>("SELECT count(*) FROM jobs");

        var response = await Client.PostRawAsync(path, body);

        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest, text);
        var problem = JsonNode.Parse(text)!;
        problem["field"]!.GetValue<string>().Should().Be(field);
        problem["errors"]![field]![0]!.GetValue<string>().Should().Contain(message);
        problem["detail"]!.GetValue<string>().Should().Contain(message);
        (await cluster.Database.ScalarAsync<long>("SELECT count(*) FROM jobs")).Should().Be(before);
    }

    [Fact]
    public async Task EveryFieldOfScnsRequestModel_IsAccepted()
    {
        var response = await Client.PostRawAsync("/jobs/submit", ScnsModels.SubmitRequestJson("every-field"));

        response.StatusCode.Should().Be(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ABodyOverTheLimit_Is413_NotA400()
    {
        var script = new string('x', 3 * 1024 * 1024);

        var response = await Client.PostRawAsync("/jobs/submit", $"{{\"job\":{{}},\"script\":\"{script}\"}}");

        response.StatusCode.Should().Be(HttpStatusCode.RequestEntityTooLarge);
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!["field"]!.GetValue<string>().Should().Be("body");
    }

    [Fact]
    public async Task ABulkRetriedWithItsIdempotencyKey_ReturnsTheSameJobs_AndCreatesNoMore()
    {
        var key = $"bulk-{Guid.NewGuid():N}";
        const string body = """[{"job":{"name":"a"},"script":"true"},{"job":{"name":"b"},"script":"true"}]""";
        var before = await cluster.Database.ScalarAsync<long>("SELECT count(*) FROM jobs");

        var first = await PostWithKeyAsync("/jobs/submit/bulk", body, key);
        var retry = await PostWithKeyAsync("/jobs/submit/bulk", body, key);

        first.Status.Should().Be(HttpStatusCode.Created, first.Body.ToJsonString());
        retry.Status.Should().Be(HttpStatusCode.Created);
        retry.Body["job_ids"]!.ToJsonString().Should().Be(first.Body["job_ids"]!.ToJsonString());
        (await cluster.Database.ScalarAsync<long>("SELECT count(*) FROM jobs")).Should().Be(before + 2, "a retry creates nothing");
    }

    [Theory]
    [InlineData("/jobs/submit", """{"job":{},"script":"echo one"}""", """{"job":{},"script":"echo two"}""")]
    [InlineData("/jobs/submit/bulk", """[{"job":{},"script":"echo one"}]""", """[{"job":{},"script":"echo two"}]""")]
    [InlineData("/jobs/submit/bulk", """[{"job":{},"script":"true"}]""", """[{"job":{},"script":"true"},{"job":{},"script":"true"}]""")]
    public async Task TheSameKeyWithAnotherBody_Is409_NotTheFirstJobsSilently(string path, string firstBody, string secondBody)
    {
        var key = $"reuse-{Guid.NewGuid():N}";

        (await PostWithKeyAsync(path, firstBody, key)).Status.Should().Be(HttpStatusCode.Created);
        var second = await PostWithKeyAsync(path, secondBody, key);

        second.Status.Should().Be(HttpStatusCode.Conflict, second.Body.ToJsonString());
        second.Body["field"]!.GetValue<string>().Should().Be("Idempotency-Key");
    }

    private async Task<(HttpStatusCode Status, JsonNode Body)> PostWithKeyAsync(string path, string body, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("Idempotency-Key", key);
        using var response = await Client.Http.SendAsync(request);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }
}
