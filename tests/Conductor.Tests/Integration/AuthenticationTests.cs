using System.Net;
using System.Text.Json.Nodes;
using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Integration;

/// <summary>An idle cluster whose API forgets token lookups at once, so tests can add and revoke tokens.</summary>
public sealed class TokenClusterFixture : ClusterFixture
{
    protected override bool StartWorker => false;
    protected override IDictionary<string, string> ApiSettings() => Tokens.NoCache();
}

/// <summary>Once a token exists, every endpoint but /health and /metrics needs a valid bearer token.</summary>
public sealed class AuthenticationTests(TokenClusterFixture cluster) : IClassFixture<TokenClusterFixture>, IAsyncLifetime
{
    private string _alice = "";

    public async Task InitializeAsync() => _alice = await Tokens.CreateAsync(cluster, "alice");

    public Task DisposeAsync() => Task.CompletedTask;

    public static TheoryData<string, string> ProtectedEndpoints => new()
    {
        { "POST", "/jobs/submit" }, { "GET", "/jobs/query/1" }, { "POST", "/jobs/cancel/1" }, { "GET", "/jobs" },
        { "GET", "/nodes" }, { "GET", "/stats" }, { "GET", "/dashboard" },
    };

    [Theory]
    [MemberData(nameof(ProtectedEndpoints))]
    public async Task Request_WithoutToken_Answers401ProblemNamingAuthorization(string method, string path)
    {
        var before = await cluster.Database.ScalarAsync<long>("SELECT count(*) FROM jobs");
        var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "POST") request.Content = new StringContent("""{"job":{},"script":"true"}""", System.Text.Encoding.UTF8, "application/json");

        var response = await Tokens.ClientFor(cluster, null).Http.SendAsync(request);

        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized, $"{method} {path} is not open once a token exists");
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        response.Headers.WwwAuthenticate.ToString().Should().Be("Bearer");
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        problem["field"]!.GetValue<string>().Should().Be("Authorization");
        (await cluster.Database.ScalarAsync<long>("SELECT count(*) FROM jobs")).Should().Be(before, "an unauthenticated submit creates nothing");
    }

    [Theory]
    [InlineData("cnd_not-a-real-token")]
    [InlineData("")]
    [InlineData("Basic YWxpY2U6c2VjcmV0")]
    public async Task Request_WithUnknownOrMalformedToken_Answers401(string header)
    {
        var http = Tokens.ClientFor(cluster, null).Http;
        var request = new HttpRequestMessage(HttpMethod.Get, "/jobs");
        request.Headers.TryAddWithoutValidation("Authorization", header.StartsWith("Basic", StringComparison.Ordinal) ? header : $"Bearer {header}");

        var response = await http.SendAsync(request);

        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task RevokedToken_StopsWorking()
    {
        var store = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions
            .GetRequiredService<Core.Storage.TokenStore>(cluster.Api.Services);
        var (token, secret) = await store.CreateAsync("carol", false, CancellationToken.None);
        (await Tokens.ClientFor(cluster, secret).Http.GetAsync("/jobs")).StatusCode.Should().Be(HttpStatusCode.OK);

        await store.RevokeAsync(token.Id, CancellationToken.None);

        (await Tokens.ClientFor(cluster, secret).Http.GetAsync("/jobs")).StatusCode.Should().Be(HttpStatusCode.Unauthorized,
            "a revoked token is refused once the (here disabled) token cache forgets it");
    }

    [Theory]
    [InlineData("/health")]
    [InlineData("/metrics")]
    public async Task HealthAndMetrics_StayOpen_WithoutToken(string path)
    {
        var response = await Tokens.ClientFor(cluster, null).Http.GetAsync(path);

        response.StatusCode.Should().NotBe(HttpStatusCode.Unauthorized, $"{path} is open by default for probes and scrapers");
    }

    [Fact]
    public async Task ValidToken_SubmitsAndQueries_AsItsAccount()
    {
        var client = Tokens.ClientFor(cluster, _alice);

        var id = await client.SubmitAsync("true");

        var job = await client.QueryAsync(id);
        job["detail"]!["account"]!.GetValue<string>().Should().Be("alice", "a job is charged to the account of the token that submitted it");
    }

    [Fact]
    public async Task TokenCli_CreatesAUsableToken_ListsItByHashOnly_AndRevokesIt()
    {
        var (code, output) = await ApiProcess.RunAsync(cluster.Database.ConnectionString, "token", "create", "--account", "dave");
        code.Should().Be(0, output);
        var secret = output.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("cnd_", StringComparison.Ordinal));
        (await Tokens.ClientFor(cluster, secret).Http.GetAsync("/jobs")).StatusCode.Should().Be(HttpStatusCode.OK);
        (await cluster.Database.ScalarAsync<long>($"SELECT count(*) FROM api_tokens WHERE hash = '{secret}'"))
            .Should().Be(0, "only the hash of a token is stored");

        var (listCode, list) = await ApiProcess.RunAsync(cluster.Database.ConnectionString, "token", "list");
        listCode.Should().Be(0, list);
        list.Should().Contain("dave").And.NotContain(secret, "a token is shown once, at creation");
        var id = await cluster.Database.ScalarAsync<long>("SELECT id FROM api_tokens WHERE account = 'dave'");

        var (revokeCode, revoked) = await ApiProcess.RunAsync(cluster.Database.ConnectionString, "token", "revoke", id.ToString());

        revokeCode.Should().Be(0, revoked);
        (await Tokens.ClientFor(cluster, secret).Http.GetAsync("/jobs")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }
}
