using System.Net;
using System.Text.Json.Nodes;
using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Integration;

/// <summary><c>GET /jobs/query/{id}</c> on rows seeded straight into the database: history the API cannot produce quickly.</summary>
public sealed class QueryEndpointTests : IAsyncLifetime
{
    private TestDatabase _db = null!;
    private ApiHost _api = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        _api = new ApiHost(_db.ConnectionString);
        _http = _api.CreateClient();
    }

    public async Task DisposeAsync()
    {
        await _api.DisposeAsync();
        await _db.DisposeAsync();
    }

    [Fact]
    public async Task Query_OfARetriedJob_ShowsTheCoresOfItsLatestAllocation()
    {
        var id = await Seed.JobAsync(_db, "COMPLETED", "node-a", cpus: 2, endedAge: "1 minute");
        await Seed.AllocationAsync(_db, id, "node-a", [0, 1], released: true);
        await Seed.AllocationAsync(_db, id, "node-a", [2, 3], released: true);

        var job = await QueryAsync(id);

        job["cpu_ids"]!.AsArray().Select(n => n!.GetValue<int>()).Should().Equal([2, 3], "the last attempt ran on cores 2 and 3");
        job["detail"]!["allocated_cpus"]!.GetValue<int>().Should().Be(2);
        job["detail"]!["node_list"]!.GetValue<string>().Should().Be("node-a");
        job["state"]!.GetValue<string>().Should().Be("COMPLETED");
    }

    [Fact]
    public async Task Query_OfAFinishedJobWithoutAllocation_ShowsNoCores_AndItsRequestedCpus()
    {
        var id = await Seed.JobAsync(_db, "FAILED", "node-a", cpus: 3, endedAge: "1 minute", reason: "NodeFail");

        var job = await QueryAsync(id);

        job["cpu_ids"]!.AsArray().Should().BeEmpty("no allocation row exists for it");
        job["detail"]!["allocated_cpus"]!.GetValue<int>().Should().Be(3, "without cores the requested count is shown");
        job["reason"]!.GetValue<string>().Should().Be("NodeFail");
        job["time"]!["elapsed_time"]!.GetValue<string>().Should().Be("0-00:00:10");
    }

    [Fact]
    public async Task Query_OfAPendingJob_ShowsItsWaitReason_AndNoCores()
    {
        var first = await Seed.JobAsync(_db, "PENDING", submittedAge: "2 minutes", reason: "Priority");
        var second = await Seed.JobAsync(_db, "PENDING", submittedAge: "1 minute", reason: "Priority");

        (await QueryAsync(first))["reason"]!.GetValue<string>().Should().Be("Resources", "it is next in line");
        var behind = await QueryAsync(second);
        behind["reason"]!.GetValue<string>().Should().Be("Priority", "an older job of the same priority is ahead of it");
        behind["cpu_ids"]!.AsArray().Should().BeEmpty();
        behind["detail"]!["node_list"]!.GetValue<string>().Should().Be("");
        behind["detail"]!["exit_code"]!.GetValue<string>().Should().Be("");
    }

    [Fact]
    public async Task Query_OfAnUnknownOrMalformedId_Answers404()
    {
        (await _http.GetAsync("/jobs/query/424242")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await _http.GetAsync("/jobs/query/abc")).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    private async Task<JsonNode> QueryAsync(long id)
    {
        var response = await _http.GetAsync($"/jobs/query/{id}");
        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }
}
