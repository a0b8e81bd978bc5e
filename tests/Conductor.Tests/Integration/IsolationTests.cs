using System.Net;
using System.Text.Json.Nodes;
using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Integration;

/// <summary>An account sees and acts on its own jobs only; another account's job answers 404, as if it did not exist.</summary>
public sealed class IsolationTests(TokenClusterFixture cluster) : IClassFixture<TokenClusterFixture>, IAsyncLifetime
{
    private ConductorClient _alice = null!, _bob = null!, _admin = null!;

    public async Task InitializeAsync()
    {
        _alice = Tokens.ClientFor(cluster, await Tokens.CreateAsync(cluster, "alice"));
        _bob = Tokens.ClientFor(cluster, await Tokens.CreateAsync(cluster, "bob"));
        _admin = Tokens.ClientFor(cluster, await Tokens.CreateAsync(cluster, "root-ops", admin: true));
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Alice_CannotQueryOrCancelBobsJob_AndGets404LikeAnUnknownId()
    {
        var bobs = await _bob.SubmitAsync("sleep 60");

        var query = await _alice.Http.GetAsync($"/jobs/query/{bobs}");
        var (cancelStatus, _) = await _alice.CancelAsync(bobs);
        var unknown = await _alice.Http.GetAsync("/jobs/query/999999999");

        query.StatusCode.Should().Be(HttpStatusCode.NotFound, "another account's job must not be visible, not even as 403");
        cancelStatus.Should().Be(HttpStatusCode.NotFound);
        (await WithoutTraceAsync(query)).Should().NotContain("bob")
            .And.Be((await WithoutTraceAsync(unknown)).Replace("999999999", bobs), "it reads exactly like an unknown id");
        ConductorClient.State(await _bob.QueryAsync(bobs)).Should().Be("PENDING", "alice's cancel did nothing");
    }

    [Fact]
    public async Task List_ShowsOnlyTheCallersJobs_EvenWhenAskingForAnotherAccount()
    {
        var alices = await _alice.SubmitAsync("true");
        var bobs = await _bob.SubmitAsync("true");

        var mine = Ids(await _alice.GetJsonAsync("/jobs?limit=1000"));
        var asked = Ids(await _alice.GetJsonAsync("/jobs?account=bob"));

        mine.Should().Contain(alices).And.NotContain(bobs);
        asked.Should().BeEmpty("alice asking for bob's jobs sees none");
    }

    [Fact]
    public async Task Admin_SeesListsAndCancelsEveryAccountsJobs()
    {
        var bobs = await _bob.SubmitAsync("sleep 60");

        (await _admin.QueryAsync(bobs))["detail"]!["account"]!.GetValue<string>().Should().Be("bob");
        Ids(await _admin.GetJsonAsync("/jobs?account=bob")).Should().Contain(bobs);
        var (status, body) = await _admin.CancelAsync(bobs);

        status.Should().Be(HttpStatusCode.OK);
        body!["state"]!.GetValue<string>().Should().Be("CANCELLED");
    }

    [Fact]
    public async Task Submit_ForAnotherAccount_Answers400NamingJobAccount_UnlessAdmin()
    {
        var refused = await _alice.Http.PostAsync("/jobs/submit", Json("""{"job":{"account":"bob"},"script":"true"}"""));
        var own = await _alice.Http.PostAsync("/jobs/submit", Json("""{"job":{"account":"alice"},"script":"true"}"""));
        var forBob = await _admin.SubmitAsync("true", new { account = "bob" });

        refused.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["field"]!.GetValue<string>().Should().Be("job.account");
        own.StatusCode.Should().Be(HttpStatusCode.Created, "naming one's own account is fine");
        (await _bob.QueryAsync(forBob))["detail"]!["account"]!.GetValue<string>().Should().Be("bob", "an admin may submit for any account");
    }

    [Fact]
    public async Task IdempotencyKey_OfOneAccount_NeverAnswersAnotherAccountsJob()
    {
        var key = Guid.NewGuid().ToString();
        var alices = await SubmitWithKeyAsync(_alice, key);
        var bobs = await SubmitWithKeyAsync(_bob, key);

        bobs.Should().NotBe(alices, "the same key from another account is another job");
        (await SubmitWithKeyAsync(_alice, key)).Should().Be(alices, "the same key from the same account is still idempotent");
    }

    private static async Task<string> SubmitWithKeyAsync(ConductorClient client, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/jobs/submit") { Content = Json("""{"job":{},"script":"true"}""") };
        request.Headers.Add("Idempotency-Key", key);
        var response = await client.Http.SendAsync(request);
        response.StatusCode.Should().Be(HttpStatusCode.Created);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!["job_id"]!.GetValue<string>();
    }

    private static async Task<string> WithoutTraceAsync(HttpResponseMessage response)
    {
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        problem.Remove("trace_id");
        return problem.ToJsonString();
    }

    private static StringContent Json(string body) => new(body, System.Text.Encoding.UTF8, "application/json");

    private static List<string> Ids(JsonNode list) => list["jobs"]!.AsArray().Select(j => j!["job_id"]!.GetValue<string>()).ToList();
}
