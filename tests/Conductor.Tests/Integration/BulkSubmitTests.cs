using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Integration;

/// <summary><c>POST /jobs/submit/bulk</c> is all or nothing, one transaction, ids in input order.</summary>
public sealed class BulkSubmitTests(IdleClusterFixture cluster) : IClassFixture<IdleClusterFixture>
{
    private static List<object> Bodies(string tag, int count) =>
        Enumerable.Range(0, count).Select(i => (object)new { job = new { name = $"{tag}-{i}", cpus_per_task = 1 }, script = $"echo {i}\n" }).ToList();

    [Fact]
    public async Task BulkSubmit_OfAThousandJobs_StoresAllInOneTransaction_InInputOrder()
    {
        var response = await cluster.Client.PostRawAsync("/jobs/submit/bulk", JsonSerializer.Serialize(Bodies("ok", 1000)));

        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.Created, text);
        var ids = JsonNode.Parse(text)!["job_ids"]!.AsArray().Select(n => long.Parse(n!.GetValue<string>())).ToList();
        ids.Should().HaveCount(1000).And.OnlyHaveUniqueItems();
        var idList = string.Join(',', ids);
        (await cluster.Database.ScalarAsync<long>($"SELECT count(*) FROM jobs WHERE id IN ({idList}) AND state = 'PENDING'"))
            .Should().Be(1000, "every job of the batch is stored as PENDING");
        (await cluster.Database.ScalarAsync<long>($"SELECT count(DISTINCT xmin::text) FROM jobs WHERE id IN ({idList})"))
            .Should().Be(1, "all rows were written by one transaction");
        (await cluster.Database.ScalarAsync<long>($"SELECT count(*) FROM job_events WHERE job_id IN ({idList}) AND reason = 'Submitted'"))
            .Should().Be(1000, "each job gets exactly one submit event");
        (await cluster.Database.ScalarAsync<string>($"SELECT name FROM jobs WHERE id = {ids[737]}"))
            .Should().Be("ok-737", "job_ids[i] answers the i-th element of the array");
    }

    [Fact]
    public async Task BulkSubmit_WithAnInvalidLastElement_Answers400NamingIt_AndCreatesNothing()
    {
        var before = await cluster.Database.ScalarAsync<long>("SELECT count(*) FROM jobs");
        var bodies = Bodies("bad", 1000);
        bodies[999] = new { job = new { name = "bad-999", cpus_per_task = 0 }, script = "true" };

        var response = await cluster.Client.PostRawAsync("/jobs/submit/bulk", JsonSerializer.Serialize(bodies));

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        problem["field"]!.GetValue<string>().Should().Be("[999].job.cpus_per_task", "the error names the element and its field");
        (await cluster.Database.ScalarAsync<long>("SELECT count(*) FROM jobs")).Should().Be(before, "one bad element rejects the whole batch");
    }

    [Fact]
    public async Task BulkSubmit_OfTheDefaultMaximumOfTenThousand_IsOneQuickStatement()
    {
        var body = JsonSerializer.Serialize(Bodies("max", 10_000));
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var response = await cluster.Client.PostRawAsync("/jobs/submit/bulk", body);

        response.StatusCode.Should().Be(HttpStatusCode.Created);
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(20), "a set-based insert does not track 10,000 entities one by one");
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!["job_ids"]!.AsArray().Should().HaveCount(10_000);
    }

    [Fact]
    public async Task BulkSubmit_OfMoreThanTheMaximum_Answers400()
    {
        var response = await cluster.Client.PostRawAsync("/jobs/submit/bulk", JsonSerializer.Serialize(Bodies("over", 10_001)));

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!["field"]!.GetValue<string>().Should().Be("body");
    }

    [Theory]
    [InlineData("""{"job":{},"script":"true"}""", "body")]
    [InlineData("[]", "body")]
    [InlineData("""[{"job":{},"script":"true"}, 7]""", "[1]")]
    [InlineData("""[{"job":{},"script":"true"}, {"job":{}}]""", "[1].script")]
    public async Task BulkSubmit_OfSomethingOtherThanAnArrayOfBodies_Answers400(string body, string field)
    {
        var response = await cluster.Client.PostRawAsync("/jobs/submit/bulk", body);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!["field"]!.GetValue<string>().Should().Be(field);
    }
}
