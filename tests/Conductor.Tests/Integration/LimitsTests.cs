using System.Net;
using System.Text.Json.Nodes;
using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Integration;

/// <summary>An idle cluster with small limits, so each one is cheap to reach.</summary>
public sealed class LimitsClusterFixture : ClusterFixture
{
    protected override bool StartWorker => false;

    protected override IDictionary<string, string> ApiSettings() => new Dictionary<string, string>
    {
        ["Conductor:Api:MaxScriptBytes"] = "1024", ["Conductor:Api:MaxEnvironmentEntries"] = "4",
        ["Conductor:Api:MaxEnvironmentBytes"] = "1024", ["Conductor:Api:MaxNameLength"] = "16", ["Conductor:Api:MaxAccountLength"] = "12",
        ["Conductor:Api:MaxPendingPerAccount"] = "3", ["Conductor:Api:SubmitRatePerSecond"] = "0.2", ["Conductor:Api:SubmitBurst"] = "5",
    };
}

/// <summary>Each limit answers with its own status code and a problem naming the field.</summary>
public sealed class LimitsTests(LimitsClusterFixture cluster) : IClassFixture<LimitsClusterFixture>
{
    public static TheoryData<string, string, string> OverLimit => new()
    {
        { "script over MaxScriptBytes", Body("{}", new string('x', 1025)), "script" },
        { "five variables, four allowed", Body("""{"environment":{"A":"1","B":"2","C":"3","D":"4","E":"5"}}"""), "job.environment" },
        { "environment over MaxEnvironmentBytes", Body("{\"environment\":{\"A\":\"" + new string('v', 1100) + "\"}}"), "job.environment" },
        { "name over MaxNameLength", Body("""{"name":"seventeen-chars-x"}"""), "job.name" },
        { "account over MaxAccountLength", Body("""{"account":"thirteen-char"}"""), "job.account" },
        { "CONDUCTOR_ names reserved", Body("""{"environment":{"CONDUCTOR_JOB_ID":"1"}}"""), "job.environment.CONDUCTOR_JOB_ID" },
        { "SLURM_ names the worker sets reserved", Body("""{"environment":{"SLURM_JOB_ID":"1"}}"""), "job.environment.SLURM_JOB_ID" },
        { "the wrapper's names reserved", Body("""{"environment":{"__CJ_ENV_PATH":"/tmp"}}"""), "job.environment.__CJ_ENV_PATH" },
    };

    [Theory]
    [MemberData(nameof(OverLimit))]
    public async Task Submit_OverALimit_Answers400NamingTheField(string why, string body, string field)
    {
        var response = await cluster.Client.PostRawAsync("/jobs/submit", body);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest, why);
        (await FieldAsync(response)).Should().Be(field, why);
    }

    [Fact]
    public async Task PathVariable_IsAllowed_BecauseTheSpawnChainUsesAbsolutePaths()
    {
        var response = await cluster.Client.PostRawAsync("/jobs/submit", Body("""{"account":"path-user","environment":{"PATH":"/opt/x/bin:/usr/bin"}}"""));

        response.StatusCode.Should().Be(HttpStatusCode.Created);
    }

    [Fact]
    public async Task Submit_BeyondThePendingJobsOfAnAccount_Answers429()
    {
        for (var i = 0; i < 3; i++)
            (await cluster.Client.PostRawAsync("/jobs/submit", Body("""{"account":"pending-acc"}"""))).StatusCode.Should().Be(HttpStatusCode.Created);

        var response = await cluster.Client.PostRawAsync("/jobs/submit", Body("""{"account":"pending-acc"}"""));

        response.StatusCode.Should().Be((HttpStatusCode)429, "the account already has 3 PENDING jobs");
        (await FieldAsync(response)).Should().Be("job.account");
        (await cluster.Client.PostRawAsync("/jobs/submit", Body("""{"account":"other-acc"}"""))).StatusCode
            .Should().Be(HttpStatusCode.Created, "the limit is per account");
    }

    [Fact]
    public async Task Submit_FasterThanTheRateLimit_Answers429WithRetryAfter()
    {
        var account = $"r{Guid.NewGuid():N}"[..12];
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage last = null!;
        for (var i = 0; i < 6; i++)
        {
            // Cancel each job so the pending limit (3) does not answer first.
            last = await cluster.Client.PostRawAsync("/jobs/submit", Body($$"""{"account":"{{account}}"}"""));
            statuses.Add(last.StatusCode);
            if (last.StatusCode == HttpStatusCode.Created)
                await cluster.Client.CancelAsync(JsonNode.Parse(await last.Content.ReadAsStringAsync())!["job_id"]!.GetValue<string>());
        }

        statuses.Take(5).Should().AllBeEquivalentTo(HttpStatusCode.Created, "a burst of 5 is allowed");
        statuses[5].Should().Be((HttpStatusCode)429);
        last.Headers.RetryAfter!.Delta!.Value.TotalSeconds.Should().BeGreaterThanOrEqualTo(1);
        last.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
    }

    internal static string Body(string job, string script = "true") =>
        new JsonObject { ["job"] = JsonNode.Parse(job), ["script"] = script }.ToJsonString();

    private static async Task<string> FieldAsync(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!["field"]!.GetValue<string>();
}

/// <summary>An API whose Redis is unreachable: the rate limit lets every submission through.</summary>
public sealed class RateLimitWithoutRedisTests : IAsyncLifetime
{
    private TestDatabase _db = null!;
    private ApiHost _api = null!;

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        _api = new ApiHost(_db.ConnectionString, new Dictionary<string, string>
        {
            ["ConnectionStrings:Redis"] = "127.0.0.1:1", ["Conductor:Api:SubmitRatePerSecond"] = "0.01", ["Conductor:Api:SubmitBurst"] = "1",
        });
    }

    public async Task DisposeAsync()
    {
        await _api.DisposeAsync();
        await _db.DisposeAsync();
    }

    [Fact]
    public async Task Submissions_AreAllowed_WhenRedisIsDown()
    {
        var client = new ConductorClient(_api.CreateClient());

        for (var i = 0; i < 3; i++)
            (await client.PostRawAsync("/jobs/submit", LimitsTests.Body("{}"))).StatusCode
                .Should().Be(HttpStatusCode.Created, "Redis down must never stop submissions");
    }
}
