using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Conductor.Core.Storage;
using Conductor.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Conductor.Tests.Attacks;

/// <summary>
/// Issue 15, point 6: the edges of the HTTP API, attacked through the real API process on a real
/// loopback port (Kestrel, not the in-process test server, so Host, Origin and raw bytes reach
/// it as a browser or a hostile client would send them). Each attack must fail with a 4xx/503
/// problem+json and change nothing; the legitimate clients next to it must keep working.
/// </summary>
public sealed class ApiEdgeAttackTests(AnonymousApi api) : IClassFixture<AnonymousApi>
{
    private const string Evil = "http://evil.example";
    private const string SubmitBody = """{"job":{},"script":"true"}""";

    public static TheoryData<string, string, string?, string?, string?, string?, int> CrossSite => new()
    {
        // why, method + path ({pending}: a PENDING job), content type, body, Origin, Host, expected status
        { "a page posts text/plain JSON", "POST /jobs/submit", "text/plain", SubmitBody, Evil, null, 403 },
        { "a page posts text/plain with no Origin", "POST /jobs/submit", "text/plain", SubmitBody, null, null, 415 },
        { "a form post", "POST /jobs/submit", "application/x-www-form-urlencoded", "script=id", null, null, 415 },
        { "a multipart form", "POST /jobs/submit", "multipart/form-data; boundary=x", "--x--", null, null, 415 },
        { "a body with no Content-Type", "POST /jobs/submit", "", SubmitBody, null, null, 415 },
        { "JSON from another origin", "POST /jobs/submit", "application/json", SubmitBody, Evil, null, 403 },
        { "Origin null (sandboxed frame)", "POST /jobs/submit", "application/json", SubmitBody, "null", null, 403 },
        { "Origin of another port", "POST /jobs/submit", "application/json", SubmitBody, "http://127.0.0.1:1", null, 403 },
        { "Origin of another scheme", "POST /jobs/submit", "application/json", SubmitBody, "https://127.0.0.1:{port}", null, 403 },
        { "a bulk submit as text/plain", "POST /jobs/submit/bulk", "text/plain", $"[{SubmitBody}]", null, null, 415 },
        { "a cancel from another origin", "POST /jobs/cancel/{pending}", null, null, Evil, null, 403 },
        { "an empty form cancel", "POST /jobs/cancel/{pending}", "application/x-www-form-urlencoded", "", null, null, 415 },
        { "a resubmit from another origin", "POST /jobs/resubmit/{pending}", null, null, Evil, null, 403 },
        { "a schedule from another origin", "POST /scheduled-jobs", "application/json", AnonymousApi.Schedule, Evil, null, 403 },
        { "a schedule delete from another origin", "DELETE /scheduled-jobs/{schedule}", null, null, Evil, null, 403 },
        { "a schedule patch as text/plain", "PATCH /scheduled-jobs/{schedule}", "text/plain", """{"status":1}""", null, null, 415 },
        { "a rebound DNS name submits", "POST /jobs/submit", "application/json", SubmitBody, null, "evil.example:{port}", 421 },
        { "a rebound DNS name with its own Origin", "POST /jobs/submit", "application/json", SubmitBody, "http://evil.example:{port}", "evil.example:{port}", 421 },
        { "a rebound DNS name lists jobs", "GET /jobs", null, null, null, "evil.example:{port}", 421 },
        { "a rebound DNS name reads a job", "GET /jobs/query/{pending}", null, null, null, "evil.example", 421 },
        { "a rebound DNS name reads health", "GET /health", null, null, null, "evil.example:{port}", 421 },
        { "a name that resolves to loopback", "GET /jobs", null, null, null, "127.0.0.1.nip.io:{port}", 421 },
        { "localhost with a trailing dot", "GET /jobs", null, null, null, "localhost.:{port}", 421 },
    };

    [Theory]
    [MemberData(nameof(CrossSite))]
    public async Task CrossSiteOrReboundRequest_IsRefused_AndChangesNothing(
        string why, string request, string? contentType, string? body, string? origin, string? host, int status)
    {
        var before = await api.Database.ScalarAsync<long>("SELECT count(*) FROM jobs");
        var schedules = await api.Database.ScalarAsync<long>("SELECT count(*) FROM scheduled_jobs WHERE status = 0");

        var response = await api.SendAsync(request, contentType, body, origin, host);

        var text = await response.Content.ReadAsStringAsync();
        ((int)response.StatusCode).Should().Be(status, $"{why}: {text}");
        response.Content.Headers.ContentType?.MediaType.Should().Be("application/problem+json", why);
        JsonNode.Parse(text)!["field"]!.GetValue<string>().Should().BeOneOf("Origin", "Content-Type", "Host");
        (await api.Database.ScalarAsync<long>("SELECT count(*) FROM jobs")).Should().Be(before, $"{why} creates nothing");
        (await api.Database.ScalarAsync<long>("SELECT count(*) FROM scheduled_jobs WHERE status = 0")).Should().Be(schedules, $"{why} changes no schedule");
        (await api.Database.ScalarAsync<string>($"SELECT state FROM jobs WHERE id = {api.PendingJob}")).Should().Be("PENDING", $"{why} cancels nothing");
    }

    public static TheoryData<string, string, string?, string?, string?, string?, int> Legitimate => new()
    {
        { "an SCNS client: JSON, no Origin", "POST /jobs/submit", "application/json", SubmitBody, null, null, 201 },
        { "JSON with a charset", "POST /jobs/submit", "application/json; charset=utf-8", SubmitBody, null, null, 201 },
        { "the API's own origin", "POST /jobs/submit", "application/json", SubmitBody, "http://127.0.0.1:{port}", null, 201 },
        { "an allowed origin", "POST /jobs/submit", "application/json", SubmitBody, "https://dash.example", null, 201 },
        { "Host localhost", "POST /jobs/submit", "application/json", SubmitBody, null, "localhost:{port}", 201 },
        { "Host [::1]", "GET /jobs", null, null, null, "[::1]:{port}", 200 },
        { "Host 127.0.0.2 (loopback too)", "GET /jobs", null, null, null, "127.0.0.2", 200 },
        { "an allowed host name", "GET /jobs", null, null, null, "conductor.local:{port}", 200 },
        { "curl -X POST cancel: no body", "POST /jobs/cancel/{finished}", null, null, null, null, 200 },
        { "a read with a foreign Origin (the browser keeps the answer from the page)", "GET /jobs", null, null, Evil, null, 200 },
        { "health from the machine", "GET /health", null, null, null, null, 200 },
    };

    [Theory]
    [MemberData(nameof(Legitimate))]
    public async Task LegitimateClient_IsServed(string why, string request, string? contentType, string? body, string? origin, string? host, int status)
    {
        var response = await api.SendAsync(request, contentType, body, origin, host);

        ((int)response.StatusCode).Should().Be(status, $"{why}: {await response.Content.ReadAsStringAsync()}");
    }

    public static TheoryData<string, string, byte[], string> BrokenText => new()
    {
        // why, method + path, raw body, the field the 400 must name
        { "a lone high surrogate in the script", "POST /jobs/submit", Utf8("""{"job":{},"script":"echo \ud800"}"""), "script" },
        { "a lone low surrogate in the name", "POST /jobs/submit", Utf8("""{"job":{"name":"x\udc00"},"script":"true"}"""), "job.name" },
        { "a reversed surrogate pair", "POST /jobs/submit", Utf8("""{"job":{"partition":"\udc00\ud800"},"script":"true"}"""), "job.partition" },
        { "byte 0xFF in the name", "POST /jobs/submit", Raw("{\"job\":{\"name\":\"a", [0xFF], "\"},\"script\":\"true\"}"), "job.name" },
        { "a UTF-8 encoded surrogate", "POST /jobs/submit", Raw("{\"job\":{},\"script\":\"echo ", [0xED, 0xA0, 0x80], "\"}"), "script" },
        { "a truncated sequence", "POST /jobs/submit", Raw("{\"job\":{\"account\":\"al", [0xC3], "\"},\"script\":\"true\"}"), "job.account" },
        { "an overlong slash", "POST /jobs/submit", Raw("{\"job\":{\"current_working_directory\":\"/tmp", [0xC0, 0xAF], "\"},\"script\":\"true\"}"), "job.current_working_directory" },
        { "a lone surrogate in an environment value", "POST /jobs/submit", Utf8("""{"job":{"environment":{"A":"\ud800"}},"script":"true"}"""), "job.environment.A" },
        { "a lone surrogate in an environment name", "POST /jobs/submit", Utf8("""{"job":{"environment":{"A\ud800":"x"}},"script":"true"}"""), "job.environment" },
        { "a lone surrogate in a field nobody reads", "POST /jobs/submit", Utf8("""{"job":{},"script":"true","pad":"\ud800"}"""), "pad" },
        { "invalid UTF-8 in a top-level key", "POST /jobs/submit", Raw("{\"", [0xFF], "\":1,\"job\":{},\"script\":\"true\"}"), "body" },
        { "a lone surrogate in a bulk element", "POST /jobs/submit/bulk", Utf8("""[{"job":{},"script":"true"},{"job":{"account":"\ud800"},"script":"true"}]"""), "[1].job.account" },
        { "a lone surrogate in a schedule's template", "POST /scheduled-jobs", Utf8("""{"cron":"0 0 0 1 1 *","status":0,"job_template":{"job":{},"script":"\ud800"}}"""), "job_template.script" },
        { "NUL in a schedule's unread field (jsonb refuses it)", "POST /scheduled-jobs", Utf8("""{"cron":"0 0 0 1 1 *","status":0,"job_template":{"job":{},"script":"true","note":"\u0000"}}"""), "job_template.note" },
        { "invalid UTF-8 in a schedule patch", "PATCH /scheduled-jobs/{schedule}", Raw("{\"name\":\"n", [0xFE], "\"}"), "name" },
    };

    [Theory]
    [MemberData(nameof(BrokenText))]
    public async Task BrokenUnicodeInAJsonBody_Is400NamingTheField(string why, string request, byte[] body, string field)
    {
        var before = await api.Database.ScalarAsync<long>("SELECT count(*) FROM jobs") + await api.Database.ScalarAsync<long>("SELECT count(*) FROM scheduled_jobs");

        var response = await api.SendBytesAsync(request, body);

        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest, $"{why}: {text}");
        response.Content.Headers.ContentType?.MediaType.Should().Be("application/problem+json", why);
        var problem = JsonNode.Parse(text)!;
        problem["field"]!.GetValue<string>().Should().Be(field, why);
        problem["errors"]![field].Should().NotBeNull(why);
        (await api.Database.ScalarAsync<long>("SELECT count(*) FROM jobs") + await api.Database.ScalarAsync<long>("SELECT count(*) FROM scheduled_jobs"))
            .Should().Be(before, $"{why} creates nothing");
    }

    public static TheoryData<string, string, string> TrailingNewline => new()
    {
        // why, method + path, body; each value ends in "\n", which ^...$ lets through
        { "job.account", "POST /jobs/submit", """{"job":{"account":"alice\n"},"script":"true"}""" },
        { "job.environment.FOO\n", "POST /jobs/submit", """{"job":{"environment":{"FOO\n":"x"}},"script":"true"}""" },
        { "job.partition", "POST /jobs/submit", """{"job":{"partition":"default\n"},"script":"true"}""" },
        { "job.name", "POST /jobs/submit", """{"job":{"name":"run\n"},"script":"true"}""" },
        { "[0].job.account", "POST /jobs/submit/bulk", """[{"job":{"account":"bob\n"},"script":"true"}]""" },
        { "name", "POST /scheduled-jobs", """{"name":"nightly\n","cron":"0 0 0 1 1 *","status":0,"job_template":{"job":{},"script":"true"}}""" },
        { "time_zone", "POST /scheduled-jobs", """{"cron":"0 0 0 1 1 *","time_zone":"UTC\n","status":0,"job_template":{"job":{},"script":"true"}}""" },
        { "job_template.job.account", "POST /scheduled-jobs", """{"cron":"0 0 0 1 1 *","status":0,"job_template":{"job":{"account":"ops\n"},"script":"true"}}""" },
    };

    [Theory]
    [MemberData(nameof(TrailingNewline))]
    public async Task NameEndingInANewline_Is400NamingTheField(string field, string request, string body)
    {
        var response = await api.SendBytesAsync(request, Utf8(body));

        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest, text);
        JsonNode.Parse(text)!["errors"]![field].Should().NotBeNull($"a trailing newline in '{field}' is refused: {text}");
    }

    [Fact]
    public async Task TokenCreate_RefusesAnAccountEndingInANewline()
    {
        var (code, output) = await ApiProcess.RunAsync(api.Database.ConnectionString, "token", "create", "--account", "alice\n");

        code.Should().NotBe(0, output);
        (await api.Database.ScalarAsync<long>("SELECT count(*) FROM api_tokens")).Should().Be(0, "no token was created");
    }

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static byte[] Raw(string before, byte[] middle, string after) => [.. Utf8(before), .. middle, .. Utf8(after)];
}

/// <summary>
/// The real API process, anonymous on a loopback port (no token exists), with one allowed origin
/// and host. Holds a PENDING job, a finished job and a disabled schedule for the attacks to aim at.
/// </summary>
public sealed class AnonymousApi : IAsyncLifetime
{
    public const string Schedule = """{"cron":"0 0 0 1 1 *","status":0,"job_template":{"job":{},"script":"true"}}""";

    private ApiProcess _process = null!;
    public TestDatabase Database { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;
    public int Port { get; private set; }
    public long PendingJob { get; private set; }
    public long FinishedJob { get; private set; }
    public long ScheduleId { get; private set; }

    public async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateAsync();
        (_process, Http, Port) = await RealApi.StartAsync(Database.ConnectionString, new Dictionary<string, string>
        {
            ["Conductor__Api__AllowedOrigins"] = "https://dash.example, https://other.example",
            ["Conductor__Api__AllowedHosts"] = "conductor.local",
        });
        PendingJob = await RealApi.SubmitAsync(Http);
        FinishedJob = await RealApi.SubmitAsync(Http);
        await Database.ExecuteAsync($"UPDATE jobs SET state = 'COMPLETED', start_time = now(), end_time = now() WHERE id = {FinishedJob}");
        var created = await Http.PostAsync("/scheduled-jobs", new StringContent(Schedule, Encoding.UTF8, "application/json"));
        created.StatusCode.Should().Be(HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        ScheduleId = long.Parse(JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!.GetValue<string>());
    }

    public async Task<HttpResponseMessage> SendAsync(string request, string? contentType, string? body, string? origin, string? host)
    {
        var message = new HttpRequestMessage(new HttpMethod(request.Split(' ')[0]), Expand(request[(request.IndexOf(' ') + 1)..]));
        if (body is not null)
        {
            message.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            if (contentType is { Length: > 0 }) message.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }
        else if (contentType is not null)
        {
            message.Content = new ByteArrayContent([]);
            message.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }
        if (origin is not null) message.Headers.TryAddWithoutValidation("Origin", Expand(origin));
        if (host is not null) message.Headers.Host = Expand(host);
        return await Http.SendAsync(message);
    }

    public Task<HttpResponseMessage> SendBytesAsync(string request, byte[] body)
    {
        var message = new HttpRequestMessage(new HttpMethod(request.Split(' ')[0]), Expand(request[(request.IndexOf(' ') + 1)..]))
        {
            Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
        };
        return Http.SendAsync(message);
    }

    private string Expand(string text) => text.Replace("{port}", Port.ToString()).Replace("{pending}", PendingJob.ToString())
        .Replace("{finished}", FinishedJob.ToString()).Replace("{schedule}", ScheduleId.ToString());

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        if (_process is not null) await _process.DisposeAsync();
        if (Database is not null) await Database.DisposeAsync();
    }
}

/// <summary>Starting the API executable on a free loopback port and waiting until it serves.</summary>
internal static class RealApi
{
    public static async Task<(ApiProcess Process, HttpClient Http, int Port)> StartAsync(string connectionString, IDictionary<string, string>? env = null)
    {
        var port = ApiProcess.FreePort();
        var process = ApiProcess.Start(connectionString, ["--urls", $"http://127.0.0.1:{port}"], env);
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        var status = await Eventually.Until(async () => process.HasExited ? HttpStatusCode.Gone : await TryGetAsync(http, "/health"),
            s => s is not null, TimeSpan.FromSeconds(60), "the API answers /health");
        status.Should().Be(HttpStatusCode.OK, process.Output);
        return (process, http, port);
    }

    public static async Task<long> SubmitAsync(HttpClient http, object? job = null)
    {
        var response = await http.PostAsync("/jobs/submit", JsonBody(new { job = job ?? new { }, script = "true" }));
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.Created, body);
        return long.Parse(JsonNode.Parse(body)!["job_id"]!.GetValue<string>());
    }

    public static StringContent JsonBody(object value) => new(System.Text.Json.JsonSerializer.Serialize(value), Encoding.UTF8, "application/json");

    private static async Task<HttpStatusCode?> TryGetAsync(HttpClient http, string path)
    {
        try
        {
            return (await http.GetAsync(path)).StatusCode;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }
}

/// <summary>
/// Alice (an account token) aims at Bob's jobs through the real API process: a dependency on one
/// of them, and every job endpoint. Each must answer exactly as for a job that does not exist, so
/// alice cannot even learn that the id is taken; Bob's jobs are left as they were.
/// </summary>
public sealed class ApiEdgeOwnershipAttackTests(TokenApi api) : IClassFixture<TokenApi>
{
    public static TheoryData<string> Dependencies => new() { "afterok:{target}", "afterany:{target}", "afternotok:{target}", "afterok:{own}:{target}" };

    [Theory]
    [MemberData(nameof(Dependencies))]
    public async Task DependencyOnAnotherAccountsJob_IsRefusedExactlyLikeOneOnAMissingJob(string dependency)
    {
        var before = await api.Database.ScalarAsync<long>("SELECT count(*) FROM jobs");

        var onBob = await api.Alice.PostAsync("/jobs/submit", RealApi.JsonBody(new { job = new { dependency = api.Expand(dependency, api.BobPending) }, script = "true" }));
        var onNothing = await api.Alice.PostAsync("/jobs/submit", RealApi.JsonBody(new { job = new { dependency = api.Expand(dependency, api.Missing) }, script = "true" }));

        onBob.StatusCode.Should().Be(HttpStatusCode.BadRequest, "a dependency on someone else's job is refused");
        onBob.StatusCode.Should().Be(onNothing.StatusCode);
        (await api.ShapeAsync(onBob, api.BobPending)).Should().Be(await api.ShapeAsync(onNothing, api.Missing),
            "the answer must not tell a taken id from a free one");
        (await api.Database.ScalarAsync<long>("SELECT count(*) FROM jobs")).Should().Be(before, "nothing was submitted");
    }

    [Fact]
    public async Task BulkDependencyOnAnotherAccountsJob_IsRefusedExactlyLikeOneOnAMissingJob()
    {
        object Bulk(long target) => new object[] { new { job = new { }, script = "true" }, new { job = new { dependency = $"afterok:{target}" }, script = "true" } };

        var onBob = await api.Alice.PostAsync("/jobs/submit/bulk", RealApi.JsonBody(Bulk(api.BobPending)));
        var onNothing = await api.Alice.PostAsync("/jobs/submit/bulk", RealApi.JsonBody(Bulk(api.Missing)));

        onBob.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await api.ShapeAsync(onBob, api.BobPending)).Should().Be(await api.ShapeAsync(onNothing, api.Missing));
    }

    [Fact]
    public async Task DependencyOnOwnJob_OrByAnAdmin_IsAccepted()
    {
        await RealApi.SubmitAsync(api.Alice, new { dependency = $"afterok:{api.AlicePending}" });
        await RealApi.SubmitAsync(api.Bob, new { dependency = $"afterany:{api.BobPending}" });
        await RealApi.SubmitAsync(api.Admin, new { account = "alice", dependency = $"afterok:{api.BobPending}" });
    }

    public static TheoryData<string, string> Actions => new()
    {
        { "GET", "/jobs/query/{id}" }, { "POST", "/jobs/cancel/{id}" }, { "POST", "/jobs/resubmit/{id}" },
        { "GET", "/jobs/{id}/logs" }, { "GET", "/jobs/{id}/logs?follow=true" }, { "GET", "/jobs/{id}/events" },
    };

    [Theory]
    [MemberData(nameof(Actions))]
    public async Task ActionOnAnotherAccountsJob_AnswersAsForAMissingJob_AndLeavesItAlone(string method, string path)
    {
        var before = await api.Database.ScalarAsync<long>("SELECT count(*) FROM jobs");
        foreach (var target in new[] { api.BobPending, api.BobFinished })
        {
            var onBob = await api.Alice.SendAsync(new HttpRequestMessage(new HttpMethod(method), path.Replace("{id}", target.ToString())));
            var onNothing = await api.Alice.SendAsync(new HttpRequestMessage(new HttpMethod(method), path.Replace("{id}", api.Missing.ToString())));

            onBob.StatusCode.Should().Be(HttpStatusCode.NotFound, $"{method} {path} on bob's job {target}");
            (await api.ShapeAsync(onBob, target)).Should().Be(await api.ShapeAsync(onNothing, api.Missing), $"{method} {path}");
        }
        (await api.Database.ScalarAsync<string>($"SELECT state FROM jobs WHERE id = {api.BobPending}")).Should().Be("PENDING", "bob's job was not cancelled");
        (await api.Database.ScalarAsync<long>("SELECT count(*) FROM jobs")).Should().Be(before, "nothing was resubmitted");
        (await api.Bob.GetAsync($"/jobs/query/{api.BobPending}")).StatusCode.Should().Be(HttpStatusCode.OK, "bob still sees his job");
    }

    [Fact]
    public async Task TokenRevoke_SaysTheRevocationTakesEffectWithinTheCacheTime()
    {
        var id = await api.CreateTokenAsync("carol");

        var (code, output) = await ApiProcess.RunAsync(api.Database.ConnectionString, "token", "revoke", id.ToString());

        code.Should().Be(0, output);
        output.Should().Contain("takes effect within 30 s", "a revoked token keeps working while APIs have it cached");
    }
}

/// <summary>The real API process with authentication on: tokens for alice, bob and an admin, and jobs of each.</summary>
public sealed class TokenApi : IAsyncLifetime
{
    private ApiProcess _process = null!;
    public TestDatabase Database { get; private set; } = null!;
    public HttpClient Alice { get; private set; } = null!;
    public HttpClient Bob { get; private set; } = null!;
    public HttpClient Admin { get; private set; } = null!;
    public long AlicePending { get; private set; }
    public long BobPending { get; private set; }
    public long BobFinished { get; private set; }
    public long Missing => BobFinished + 1_000_000;

    public async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateAsync();
        var secrets = new Dictionary<string, string>();
        foreach (var (account, admin) in new[] { ("alice", false), ("bob", false), ("ops", true) })
            secrets[account] = (await CreateAsync(account, admin)).Secret;
        HttpClient client;
        (_process, client, var port) = await RealApi.StartAsync(Database.ConnectionString);
        client.Dispose();
        HttpClient For(string account) => new()
        {
            BaseAddress = new Uri($"http://127.0.0.1:{port}"), DefaultRequestHeaders = { Authorization = new("Bearer", secrets[account]) },
        };
        (Alice, Bob, Admin) = (For("alice"), For("bob"), For("ops"));
        AlicePending = await RealApi.SubmitAsync(Alice);
        BobPending = await RealApi.SubmitAsync(Bob);
        BobFinished = await RealApi.SubmitAsync(Bob);
        await Database.ExecuteAsync($"UPDATE jobs SET state = 'COMPLETED', start_time = now(), end_time = now() WHERE id = {BobFinished}");
    }

    public async Task<long> CreateTokenAsync(string account) => (await CreateAsync(account, false)).Id;

    private async Task<(long Id, string Secret)> CreateAsync(string account, bool admin)
    {
        await using var services = new ServiceCollection().AddSingleton(TimeProvider.System).AddConductorStorage(Database.ConnectionString).BuildServiceProvider();
        var (token, secret) = await services.GetRequiredService<TokenStore>().CreateAsync(account, admin, CancellationToken.None);
        return (token.Id, secret);
    }

    public string Expand(string dependency, long target) => dependency.Replace("{target}", target.ToString()).Replace("{own}", AlicePending.ToString());

    private static readonly System.Text.Json.JsonSerializerOptions Readable = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Status, content type and body with the target id and the per-request trace id blanked.</summary>
    public async Task<string> ShapeAsync(HttpResponseMessage response, long target)
    {
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        body.Remove("traceId");
        body.Remove("trace_id");
        return $"{(int)response.StatusCode} {response.Content.Headers.ContentType?.MediaType} {System.Text.RegularExpressions.Regex.Replace(body.ToJsonString(Readable), $"(?<![0-9]){target}(?![0-9])", "<id>")}";
    }

    public async Task DisposeAsync()
    {
        foreach (var http in new[] { Alice, Bob, Admin }) http?.Dispose();
        if (_process is not null) await _process.DisposeAsync();
        if (Database is not null) await Database.DisposeAsync();
    }
}

/// <summary>
/// PostgreSQL goes away under a running API process (its connections run through a relay that is
/// then cut, so the port is closed; the shared server is untouched): every endpoint answers 503
/// problem+json with Retry-After, never a bare 500; /health keeps its own 503 body.
/// </summary>
public sealed class ApiEdgeOutageAttackTests(OutageApi api) : IClassFixture<OutageApi>
{
    public static TheoryData<string, string, string?> Endpoints => new()
    {
        { "POST", "/jobs/submit", """{"job":{},"script":"true"}""" },
        { "POST", "/jobs/submit", """{"job":{"dependency":"afterok:1"},"script":"true"}""" },
        { "POST", "/jobs/submit/bulk", """[{"job":{},"script":"true"}]""" },
        { "GET", "/jobs/query/{id}", null }, { "GET", "/jobs", null }, { "GET", "/jobs/{id}/events", null },
        { "GET", "/jobs/{id}/logs", null }, { "GET", "/jobs/{id}/logs?follow=true", null },
        { "POST", "/jobs/cancel/{id}", null }, { "POST", "/jobs/resubmit/{id}", null },
        { "GET", "/nodes", null }, { "GET", "/stats", null }, { "GET", "/dashboard", null },
        { "GET", "/scheduled-jobs", null }, { "GET", "/scheduled-jobs/{schedule}", null },
        { "POST", "/scheduled-jobs", AnonymousApi.Schedule }, { "PATCH", "/scheduled-jobs/{schedule}", """{"status":0}""" },
        { "DELETE", "/scheduled-jobs/{schedule}", null },
    };

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Endpoint_WithPostgresDown_Answers503ProblemWithRetryAfter(string method, string path, string? body)
    {
        var message = new HttpRequestMessage(new HttpMethod(method), path.Replace("{id}", api.Job.ToString()).Replace("{schedule}", api.Schedule.ToString()));
        if (body is not null) message.Content = new StringContent(body, Encoding.UTF8, "application/json");

        var response = await api.Http.SendAsync(message);

        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable, $"{method} {path} with PostgreSQL down: {text}");
        response.Content.Headers.ContentType?.MediaType.Should().Be("application/problem+json");
        response.Headers.RetryAfter?.Delta.Should().Be(TimeSpan.FromSeconds(5), "clients are told when to come back");
        JsonNode.Parse(text)!["title"]!.GetValue<string>().Should().Contain("database");
    }

    /// <summary>A scrape that fails would hide the API's own counters too; the gauge says what is wrong.</summary>
    [Fact]
    public async Task Metrics_WithPostgresDown_StillServesTheScrape_WithDatabaseUpZero()
    {
        var response = await api.Http.GetAsync("/metrics");

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync()).Should().Contain("conductor_database_up 0");
    }

    [Fact]
    public async Task Health_WithPostgresDown_KeepsItsOwn503Body()
    {
        var response = await api.Http.GetAsync("/health");

        response.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        body["status"]!.GetValue<string>().Should().Be("unhealthy");
        body["database"]!.GetValue<string>().Should().Be("down");
    }
}

/// <summary>The real API process reaching PostgreSQL through a relay, cut once a job and a schedule exist.</summary>
public sealed class OutageApi : IAsyncLifetime
{
    private ApiProcess _process = null!;
    private TcpRelay _relay = null!;
    private TestDatabase _database = null!;
    public HttpClient Http { get; private set; } = null!;
    public long Job { get; private set; }
    public long Schedule { get; private set; }

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync();
        var direct = new NpgsqlConnectionStringBuilder(_database.ConnectionString);
        _relay = new TcpRelay(direct.Host!, direct.Port);
        var relayed = new NpgsqlConnectionStringBuilder(_database.ConnectionString) { Host = "127.0.0.1", Port = _relay.Port, Timeout = 3 };
        (_process, var http, _) = await RealApi.StartAsync(relayed.ConnectionString);
        Http = http;
        Job = await RealApi.SubmitAsync(Http);
        var created = await Http.PostAsync("/scheduled-jobs", new StringContent(AnonymousApi.Schedule, Encoding.UTF8, "application/json"));
        Schedule = long.Parse(JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!.GetValue<string>());
        _relay.Cut();
    }

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        if (_process is not null) await _process.DisposeAsync();
        _relay?.Cut();
        if (_database is not null) await _database.DisposeAsync();
    }
}

/// <summary>A loopback TCP relay to one server; <see cref="Cut"/> closes its port and every connection through it.</summary>
internal sealed class TcpRelay
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly ConcurrentBag<TcpClient> _open = [];
    private readonly CancellationTokenSource _cut = new();

    public TcpRelay(string host, int port)
    {
        _listener.Start();
        _ = AcceptAsync(host, port);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    private async Task AcceptAsync(string host, int port)
    {
        try
        {
            while (!_cut.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_cut.Token);
                var server = new TcpClient();
                _open.Add(client);
                _open.Add(server);
                await server.ConnectAsync(host, port, _cut.Token);
                _ = PumpAsync(client, server);
                _ = PumpAsync(server, client);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Cut.
        }
    }

    private async Task PumpAsync(TcpClient from, TcpClient to)
    {
        try
        {
            await from.GetStream().CopyToAsync(to.GetStream(), _cut.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // One side went away or the relay was cut.
        }
        finally
        {
            from.Dispose();
            to.Dispose();
        }
    }

    public void Cut()
    {
        _cut.Cancel();
        _listener.Stop();
        foreach (var connection in _open) connection.Dispose();
    }
}

/// <summary>The rules behind the request guard, case by case.</summary>
public sealed class RequestOriginRulesTests
{
    [Theory]
    [InlineData("application/json", true)]
    [InlineData("Application/JSON; charset=utf-8", true)]
    [InlineData("application/merge-patch+json", true)]
    [InlineData("text/plain", false)]
    [InlineData("text/plain; a=application/json", false)]
    [InlineData("application/x-www-form-urlencoded", false)]
    [InlineData("multipart/form-data; boundary=x", false)]
    [InlineData("application/jsonp", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void OnlyJsonBodies_AreJson(string? contentType, bool json) =>
        Conductor.Api.Http.RequestOrigins.IsJson(contentType).Should().Be(json, contentType);

    [Theory]
    [InlineData("localhost:8000", true)]
    [InlineData("LOCALHOST", true)]
    [InlineData("127.0.0.1:8000", true)]
    [InlineData("127.1.2.3", true)]
    [InlineData("[::1]:8000", true)]
    [InlineData("localhost.evil.example", false)]
    [InlineData("evil.example", false)]
    [InlineData("0.0.0.0:8000", false)]
    [InlineData("[::ffff:7f00:1]:8000", true)]
    [InlineData("10.0.0.1", false)]
    public void LoopbackHost_IsOnlyALoopbackNameOrAddress(string host, bool loopback) =>
        Conductor.Api.Http.RequestOrigins.IsLoopbackHost(new Microsoft.AspNetCore.Http.HostString(host)).Should().Be(loopback, host);

    [Theory]
    [InlineData("http://127.0.0.1:8000", true)]
    [InlineData("HTTP://127.0.0.1:8000", true)]
    [InlineData("https://dash.example", true)]
    [InlineData("https://dash.example:443", true)]
    [InlineData("http://dash.example", false)]
    [InlineData("http://127.0.0.1", false)]
    [InlineData("http://127.0.0.1:8000/path", false)]
    [InlineData("http://user@127.0.0.1:8000", false)]
    [InlineData("null", false)]
    [InlineData("garbage", false)]
    public void Origin_MustBeTheApisOwnOrAllowed(string origin, bool same)
    {
        var context = new Microsoft.AspNetCore.Http.DefaultHttpContext();
        context.Request.Scheme = "http";
        context.Request.Host = new Microsoft.AspNetCore.Http.HostString("127.0.0.1:8000");

        Conductor.Api.Http.RequestOrigins.IsSameOrAllowed(origin, context.Request, ["https://dash.example"]).Should().Be(same, origin);
    }
}
